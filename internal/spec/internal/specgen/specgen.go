// Package specgen turns Stripe's OpenAPI spec into the compact parameter
// table that package spec embeds. It is shared by the generator command
// (internal/spec/gen) and by the test that checks the committed table is up
// to date, so both produce byte-identical JSON.
package specgen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/stripefake/stripefake/internal/spec/internal/table"
)

// Build returns the table, as compact JSON, for spec3 (stripe-mock's
// spec3.json) merged with extra (an OpenAPI fragment with more paths and
// component schemas, such as the hand-written v2 endpoints) and with the
// legacy operations and parameters of legacy (the spec3.json of
// stripe-mock LegacyMock; nil for none).
func Build(spec3, extra, legacy []byte) ([]byte, error) {
	doc, err := Merge(spec3, extra)
	if err != nil {
		return nil, err
	}
	until, err := addLegacy(doc, legacy)
	if err != nil {
		return nil, err
	}
	b := &builder{
		schemas: doc.Components.Schemas,
		index:   map[string]int{},
	}
	source := "stripe-mock spec3.json " + doc.Info.Version + " + internal/spec/specv2"
	if len(legacy) > 0 {
		source += " + legacy operations of stripe-mock " + LegacyMock
	}
	file := table.File{
		Source:     source,
		Expandable: map[string]map[string][]string{},
	}
	for _, pattern := range sortedKeys(doc.Paths) {
		item := doc.Paths[pattern]
		for _, method := range []string{"delete", "get", "post"} {
			op, ok := item[method]
			if !ok {
				continue
			}
			n, err := b.operation(op)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", strings.ToUpper(method), pattern, err)
			}
			m := strings.ToUpper(method)
			file.Ops = append(file.Ops, table.Op{Method: m, Pattern: pattern, Params: n, Until: until[m+" "+pattern]})
		}
	}
	sort.SliceStable(file.Ops, func(i, j int) bool {
		if file.Ops[i].Pattern != file.Ops[j].Pattern {
			return file.Ops[i].Pattern < file.Ops[j].Pattern
		}
		return file.Ops[i].Method < file.Ops[j].Method
	})
	file.Nodes = b.nodes
	for _, name := range sortedKeys(b.schemas) {
		if strings.HasPrefix(name, "deleted_") {
			continue // stubs: nothing to expand, and they share the object value
		}
		s := b.schemas[name]
		object := objectValue(s)
		if object == "" {
			continue
		}
		paths := map[string][]string{}
		b.expandable(s, "", paths, map[string]bool{name: true})
		if len(paths) == 0 {
			continue
		}
		if file.Expandable[object] == nil {
			file.Expandable[object] = paths
			continue
		}
		for p, t := range paths {
			file.Expandable[object][p] = t
		}
	}
	return json.Marshal(file)
}

// Gzip compresses the table deterministically (no name, no time stamp).
func Gzip(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Document is the part of an OpenAPI document the generator and the
// response validator read. Schemas stay generic maps: the spec uses only a
// handful of keywords, read where they matter.
type Document struct {
	Info struct {
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

// Merge parses spec3 and adds extra's paths and component schemas to it. A
// path or schema defined in both is an error: the fragment is meant to fill
// gaps, never to override the published spec.
func Merge(spec3, extra []byte) (*Document, error) {
	var doc, add Document
	if err := json.Unmarshal(spec3, &doc); err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	if len(extra) > 0 {
		if err := json.Unmarshal(extra, &add); err != nil {
			return nil, fmt.Errorf("parse extra spec: %w", err)
		}
	}
	for p, item := range add.Paths {
		if _, dup := doc.Paths[p]; dup {
			return nil, fmt.Errorf("extra spec redefines path %s", p)
		}
		doc.Paths[p] = item
	}
	for name, s := range add.Components.Schemas {
		if _, dup := doc.Components.Schemas[name]; dup {
			return nil, fmt.Errorf("extra spec redefines schema %s", name)
		}
		doc.Components.Schemas[name] = s
	}
	return &doc, nil
}

type builder struct {
	schemas map[string]map[string]any
	nodes   []table.Node
	index   map[string]int // canonical JSON of a node → its index
	// inBody is set while the request body is converted: formats implied
	// by names apply to what is written, not to query filters such as
	// GET /v1/customers?email=, which Stripe matches without checking.
	inBody bool
}

// operation builds the object node of every parameter op accepts: query
// parameters and the request body's properties. GET and DELETE declare a
// form body too (empty for GET; DELETE /v1/subscriptions/{id} has real
// ones, sent in the query string by stripe-go), so both sources are read
// for every method.
func (b *builder) operation(op map[string]any) (int, error) {
	root := table.Node{Kind: table.Object, Props: map[string]int{}}
	b.inBody = false
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		p, _ := p.(map[string]any)
		if p["in"] != "query" {
			continue
		}
		name, _ := p["name"].(string)
		s, _ := p["schema"].(map[string]any)
		n, err := b.field(name, s, nil)
		if err != nil {
			return 0, fmt.Errorf("query %s: %w", name, err)
		}
		root.Props[name] = b.intern(n)
		if req, _ := p["required"].(bool); req {
			root.Required = append(root.Required, name)
		}
	}
	body, _ := op["requestBody"].(map[string]any)
	content, _ := body["content"].(map[string]any)
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/json", "multipart/form-data"} {
		media, ok := content[ct].(map[string]any)
		if !ok {
			continue
		}
		schema, _ := media["schema"].(map[string]any)
		s, err := b.resolve(schema)
		if err != nil {
			return 0, err
		}
		b.inBody = true
		props, _ := s["properties"].(map[string]any)
		for _, name := range sortedKeys(props) {
			if _, dup := root.Props[name]; dup {
				continue // declared as a query parameter already
			}
			n, err := b.field(name, props[name].(map[string]any), nil)
			if err != nil {
				return 0, fmt.Errorf("body %s: %w", name, err)
			}
			root.Props[name] = b.intern(n)
		}
		root.Required = append(root.Required, stringList(s["required"])...)
		break
	}
	sort.Strings(root.Required)
	return b.intern(root), nil
}

// resolve follows $ref to a component schema.
func (b *builder) resolve(s map[string]any) (map[string]any, error) {
	for i := 0; i < 10; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nil
		}
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok {
			return nil, fmt.Errorf("unsupported $ref %s", ref)
		}
		s, ok = b.schemas[name]
		if !ok {
			return nil, fmt.Errorf("unknown $ref %s", ref)
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

// node converts one parameter schema. seen holds the component schemas on
// the way down, to stop on a recursive definition (none exist in request
// parameters today; a loop would otherwise never end).
func (b *builder) node(s map[string]any, seen []string) (table.Node, error) {
	if ref, ok := s["$ref"].(string); ok {
		for _, r := range seen {
			if r == ref {
				return table.Node{}, fmt.Errorf("recursive parameter schema %s", ref)
			}
		}
		seen = append(seen, ref)
		var err error
		if s, err = b.resolve(s); err != nil {
			return table.Node{}, err
		}
	}
	if alts, ok := s["anyOf"].([]any); ok {
		return b.anyOf(alts, seen)
	}
	typ, _ := s["type"].(string)
	switch typ {
	case "string":
		n := table.Node{Kind: table.String}
		if max, ok := s["maxLength"].(float64); ok && max > 0 {
			n.MaxLength = int(max)
		}
		if s["format"] == "currency" {
			n.Format = table.FormatCurrency
		}
		if enum, ok := s["enum"].([]any); ok {
			for _, e := range enum {
				v, _ := e.(string)
				if v == "" {
					n.Empty = true
					continue
				}
				n.Enum = append(n.Enum, v)
			}
			if len(n.Enum) == 0 {
				return table.Node{}, fmt.Errorf(`enum [""] outside anyOf`)
			}
		}
		return n, nil
	case "integer":
		return table.Node{Kind: table.Integer}, nil
	case "number":
		return table.Node{Kind: table.Number}, nil
	case "boolean":
		return table.Node{Kind: table.Boolean}, nil
	case "array":
		items, ok := s["items"].(map[string]any)
		if !ok {
			return table.Node{}, fmt.Errorf("array without items")
		}
		it, err := b.node(items, seen)
		if err != nil {
			return table.Node{}, fmt.Errorf("items: %w", err)
		}
		i := b.intern(it)
		return table.Node{Kind: table.Array, Items: &i}, nil
	case "object":
		n := table.Node{Kind: table.Object, Required: stringList(s["required"])}
		sort.Strings(n.Required)
		props, _ := s["properties"].(map[string]any)
		for _, name := range sortedKeys(props) {
			c, err := b.field(name, props[name].(map[string]any), seen)
			if err != nil {
				return table.Node{}, fmt.Errorf("%s: %w", name, err)
			}
			if n.Props == nil {
				n.Props = map[string]int{}
			}
			n.Props[name] = b.intern(c)
		}
		switch ap := s["additionalProperties"].(type) {
		case bool:
			if ap {
				i := b.intern(table.Node{Kind: table.Free})
				n.Addl = &i
			}
		case map[string]any:
			c, err := b.node(ap, seen)
			if err != nil {
				return table.Node{}, fmt.Errorf("additionalProperties: %w", err)
			}
			i := b.intern(c)
			n.Addl = &i
		}
		return n, nil
	}
	return table.Node{}, fmt.Errorf("unsupported schema type %q", typ)
}

// field converts the schema of the parameter or property called name: the
// node, plus the formats the spec leaves to the name (see nameFormats).
func (b *builder) field(name string, s map[string]any, seen []string) (table.Node, error) {
	n, err := b.node(s, seen)
	if err != nil || n.Kind != table.AnyOf {
		return b.named(name, n), err
	}
	alts := make([]int, len(n.Alts))
	for i, a := range n.Alts {
		alts[i] = b.intern(b.named(name, b.nodes[a]))
	}
	n.Alts = alts
	return n, nil
}

// named adds to n what its name says about it. The spec declares the
// currency format but not email or URL ones, so those come from the names
// Stripe gives such parameters (email, receipt_email, url, return_url,
// success_url, …); and currency_options is keyed by currency. Only body
// parameters are named this way (see inBody).
func (b *builder) named(name string, n table.Node) table.Node {
	if !b.inBody {
		return n
	}
	switch n.Kind {
	case table.String:
		if len(n.Enum) == 0 && n.Format == "" {
			n.Format = nameFormat(name)
		}
	case table.Object:
		if name == "currency_options" && n.Addl != nil {
			n.KeyFormat = table.FormatCurrency
		}
	}
	return n
}

// nameFormat is the format a string parameter's name implies, or "".
func nameFormat(name string) string {
	switch {
	case name == "email" || strings.HasSuffix(name, "_email"):
		return table.FormatEmail
	case name == "url" || strings.HasSuffix(name, "_url"):
		return table.FormatURL
	}
	return ""
}

// anyOf folds the {"type":"string","enum":[""]} alternative into the Empty
// flag, flattens nested anyOfs, and collapses a single remaining
// alternative into the node itself.
func (b *builder) anyOf(alts []any, seen []string) (table.Node, error) {
	var out []table.Node
	empty := false
	for _, a := range alts {
		a, _ := a.(map[string]any)
		if isEmptyAlt(a) {
			empty = true
			continue
		}
		n, err := b.node(a, seen)
		if err != nil {
			return table.Node{}, err
		}
		if n.Kind == table.AnyOf {
			empty = empty || n.Empty
			for _, i := range n.Alts {
				out = append(out, b.nodes[i])
			}
			continue
		}
		out = append(out, n)
	}
	switch len(out) {
	case 0:
		return table.Node{}, fmt.Errorf("anyOf without alternatives")
	case 1:
		n := out[0]
		n.Empty = n.Empty || empty
		return n, nil
	}
	n := table.Node{Kind: table.AnyOf, Empty: empty}
	for _, a := range out {
		n.Empty = n.Empty || a.Empty
		n.Alts = append(n.Alts, b.intern(a))
	}
	return n, nil
}

func isEmptyAlt(s map[string]any) bool {
	enum, _ := s["enum"].([]any)
	return s["type"] == "string" && len(enum) == 1 && enum[0] == ""
}

// intern stores n once and returns its index.
func (b *builder) intern(n table.Node) int {
	key, err := json.Marshal(n)
	if err != nil {
		panic(err) // a Node always marshals
	}
	if i, ok := b.index[string(key)]; ok {
		return i
	}
	b.nodes = append(b.nodes, n)
	b.index[string(key)] = len(b.nodes) - 1
	return len(b.nodes) - 1
}

// expandable records in out every property path below s that carries
// x-expansionResources. It descends through nested sub-objects, anyOf
// alternatives and array items, but stops at another resource (a schema
// with x-resourceId): that resource's own fields are listed under its own
// object value. seen guards against recursive schemas.
func (b *builder) expandable(s map[string]any, prefix string, out map[string][]string, seen map[string]bool) {
	props, _ := s["properties"].(map[string]any)
	for _, name := range sortedKeys(props) {
		p, _ := props[name].(map[string]any)
		path := prefix + name
		if xr, ok := p["x-expansionResources"].(map[string]any); ok {
			out[path] = b.targets(xr)
		} else if items, ok := p["items"].(map[string]any); ok {
			if xr, ok := items["x-expansionResources"].(map[string]any); ok {
				out[path] = b.targets(xr)
			}
		}
		b.descend(p, path+".", out, seen)
	}
}

func (b *builder) descend(s map[string]any, prefix string, out map[string][]string, seen map[string]bool) {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		t, ok := b.schemas[name]
		if !ok || seen[name] {
			return
		}
		if _, resource := t["x-resourceId"]; resource {
			return
		}
		seen[name] = true
		b.expandable(t, prefix, out, seen)
		delete(seen, name)
		return
	}
	if alts, ok := s["anyOf"].([]any); ok {
		for _, a := range alts {
			if a, ok := a.(map[string]any); ok {
				b.descend(a, prefix, out, seen)
			}
		}
		return
	}
	if items, ok := s["items"].(map[string]any); ok {
		b.descend(items, prefix, out, seen)
		return
	}
	if _, ok := s["properties"]; ok {
		b.expandable(s, prefix, out, seen)
	}
}

// targets lists the object values an expansion can produce, in spec order,
// deleted_* stubs folded into their live object.
func (b *builder) targets(xr map[string]any) []string {
	var out []string
	oneOf, _ := xr["oneOf"].([]any)
	for _, r := range oneOf {
		r, _ := r.(map[string]any)
		ref, _ := r["$ref"].(string)
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		t := objectValue(b.schemas[name])
		if t == "" {
			t = name
		}
		dup := false
		for _, o := range out {
			dup = dup || o == t
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

// objectValue is the single value of a schema's `object` enum, or "".
func objectValue(s map[string]any) string {
	props, _ := s["properties"].(map[string]any)
	obj, _ := props["object"].(map[string]any)
	enum, _ := obj["enum"].([]any)
	if len(enum) != 1 {
		return ""
	}
	v, _ := enum[0].(string)
	return v
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
