// Command gen writes table.json.gz, the compact parameter table package spec
// embeds, from the OpenAPI spec bundled with stripe-mock (the version pinned
// in go.mod), the hand-written v2 fragment in internal/spec/specv2, and the
// legacy operations of the 2023-10-16 spec (stripe-mock v0.180.0, fetched
// with go mod download) that versions before basil still serve, with the
// parameters acacia's spec (v0.190.0) added to them.
//
// Run it with go generate ./internal/spec (the directive is in spec.go).
// The spec is read only here, never at run time.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/stripe/stripe-mock/embedded"
	"github.com/stripefake/stripefake/internal/spec/internal/specgen"
	"github.com/stripefake/stripefake/internal/spec/specv2"
)

func main() {
	out := flag.String("o", "table.json.gz", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	legacy, err := specgen.LegacySpec()
	if err != nil {
		return err
	}
	raw, err := specgen.Build(embedded.OpenAPISpec, specv2.OpenAPI, legacy)
	if err != nil {
		return err
	}
	gz, err := specgen.Gzip(raw)
	if err != nil {
		return err
	}
	return os.WriteFile(out, gz, 0o644)
}
