// Command releasegen writes releases/<release>.json.gz: for each API release
// older than the stored model, the response schemas of the routes the fake
// implements, cut from the OpenAPI spec embedded in the stripe-mock module
// of that release (fetched with go mod download). schematest validates what
// the fake renders for an older version against them.
//
// Run it with go generate ./internal/spec/schematest. The specs are read
// only here, never by the fake or by tests.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/stripefake/stripefake/fake"
)

// releases maps a release name (as apiversion.ReleaseOf spells it) to the
// stripe-mock module that embeds one of its versions' specs.
var releases = []struct{ name, mock string }{
	{"2023-10-16", "v0.180.0"}, // 2023-10-16
	{"2024-04-10", "v0.185.0"}, // 2024-04-10
	{"acacia", "v0.190.0"},     // 2024-09-30.acacia
	{"basil", "v0.195.0"},      // 2025-05-28.basil
	{"clover", "v0.199.0"},     // 2025-11-17.clover
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "releasegen:", err)
		os.Exit(1)
	}
}

func run() error {
	f, err := fake.Start()
	if err != nil {
		return err
	}
	routes := f.Routes()
	_ = f.Close()
	if err := os.MkdirAll("releases", 0o755); err != nil {
		return err
	}
	for _, r := range releases {
		spec, err := mockSpec(r.mock)
		if err != nil {
			return err
		}
		out, err := cut(spec, routes)
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(out); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join("releases", r.name+".json.gz"), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func mockSpec(version string) ([]byte, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/stripe/stripe-mock@"+version)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download stripe-mock@%s: %w", version, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(raw, &mod); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(mod.Dir, "embedded", "openapi", "spec3.json"))
}

var refRe = regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`)

// cut keeps the JSON responses of routes and the component schemas they
// reach, without descriptions and Stripe's x- annotations.
func cut(spec []byte, routes []string) ([]byte, error) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, err
	}
	type op struct {
		Responses map[string]any `json:"responses"`
	}
	paths := map[string]map[string]op{}
	var todo []string
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt, " ")
		method = strings.ToLower(method)
		raw, ok := doc.Paths[pattern][method]
		if !ok {
			continue // a route that release does not have
		}
		var o op
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, err
		}
		for code, r := range o.Responses {
			if !strings.HasPrefix(code, "2") {
				delete(o.Responses, code)
				continue
			}
			o.Responses[code] = strip(r)
		}
		if paths[pattern] == nil {
			paths[pattern] = map[string]op{}
		}
		paths[pattern][method] = o
		b, _ := json.Marshal(o)
		todo = append(todo, refs(b)...)
	}
	todo = append(todo, "error")
	keep := map[string]any{}
	for len(todo) > 0 {
		name := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if _, done := keep[name]; done {
			continue
		}
		s, ok := doc.Components.Schemas[name]
		if !ok {
			return nil, fmt.Errorf("no schema %s", name)
		}
		s = strip(s)
		keep[name] = s
		b, _ := json.Marshal(s)
		todo = append(todo, refs(b)...)
	}
	out := map[string]any{"paths": paths, "components": map[string]any{"schemas": keep}}
	return json.Marshal(out)
}

func refs(b []byte) []string {
	var out []string
	for _, m := range refRe.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	sort.Strings(out)
	return out
}

// strip drops what validation never reads.
func strip(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if _, text := x.(string); text && (k == "description" || k == "example") || strings.HasPrefix(k, "x-") {
				continue // an annotation; a property named description is a map
			}
			out[k] = strip(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = strip(x)
		}
		return out
	}
	return v
}
