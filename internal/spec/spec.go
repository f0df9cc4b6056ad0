// Package spec knows which Stripe API operations exist and which parameters
// each accepts. The knowledge comes from the OpenAPI spec bundled with
// stripe-mock (plus a small hand-written v2 fragment in specv2), compiled by
// go generate into table.json.gz and embedded here, so the spec itself is
// never a run-time dependency.
//
// Match routes a request path to an operation, Operation.Validate checks and
// types a decoded parameter tree the way Stripe does (unknown, missing,
// empty, integer, boolean and enum errors with Stripe's wording), and
// Expandable lists the properties of each object that expand[] may name.
// The table is parsed once, on first use, and is read-only afterwards, so
// everything here is safe for concurrent use.
package spec

//go:generate go run ./gen -o table.json.gz

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/stripefake/stripefake/internal/spec/internal/table"
)

//go:embed table.json.gz
var tableGz []byte

// Empty is the value Validate puts in place of a parameter sent as "" where
// the spec allows "" to unset it (an anyOf with the {"enum":[""]}
// alternative, e.g. description=, metadata=, default_tax_rates=).
type Empty struct{}

// Operation is one API operation: a method on a path pattern as the spec
// spells it, e.g. POST /v1/customers/{customer}.
type Operation struct {
	Method  string
	Pattern string
	// Until, when set, is the first API version that no longer has the
	// operation (legacy routes such as usage records, gone at basil).
	Until string

	route  string   // "METHOD /pattern"
	segs   []string // pattern segments; "{name}" marks a path variable
	params *node    // object node of every accepted parameter
}

// String returns "METHOD /pattern".
func (op *Operation) String() string {
	if op.route == "" { // an Operation not made by the table
		return op.Method + " " + op.Pattern
	}
	return op.route
}

// Match finds the operation for method and a request path, and returns it
// with the path variables by their spec names.
//
// path should be the escaped path as sent (http.Request.URL.EscapedPath()):
// each segment is unescaped after splitting, so an ID containing "/" or "%"
// survives. stripe-go escapes IDs with url.QueryEscape, which writes a space
// as "+", so segments are unescaped with url.QueryUnescape ("+" is a space;
// a literal plus arrives as %2B). A segment that does not unescape is used
// as is.
//
// Literal segments win over {param} segments (/v1/customers/search before
// /v1/customers/{customer}); when the literal branch has no route for the
// rest of the path and the method, the parameter branch is tried. A path
// variable never matches an empty segment, so a trailing slash is an
// unknown URL, as on Stripe.
func Match(method, path string) (op *Operation, vars map[string]string, ok bool) {
	return MatchAt(method, path, nil)
}

// MatchAt is Match for a request whose API version no longer has the
// legacy operations for which gone(op.Until) is true: a path such an
// operation matches is an unknown URL, as Stripe answers a removed route
// (GET /v1/invoices/upcoming does not fall through to
// /v1/invoices/{invoice}). A nil gone keeps every operation.
func MatchAt(method, path string, gone func(until string) bool) (op *Operation, vars map[string]string, ok bool) {
	var buf [8]string
	segs, ok := splitPath(path, buf[:0])
	if !ok {
		return nil, nil, false
	}
	op = load().root.find(segs, method)
	if op == nil || op.Until != "" && gone != nil && gone(op.Until) {
		return nil, nil, false
	}
	vars = map[string]string{}
	for i, s := range op.segs {
		if name, isVar := varName(s); isVar {
			vars[name] = segs[i]
		}
	}
	return op, vars, true
}

// PathExists reports whether any method has a route for path. Stripe
// answers an unknown method on a known path with the same 404 as an unknown
// path; this tells the two apart for logging and tests.
func PathExists(path string) bool {
	var buf [8]string
	segs, ok := splitPath(path, buf[:0])
	return ok && load().root.find(segs, "") != nil
}

// Operations returns every operation, sorted by pattern then method. The
// slice is a copy; the operations are shared and read-only.
func Operations() []*Operation {
	t := load()
	return append([]*Operation(nil), t.ops...)
}

// Expandable returns the properties of object (an `object` value such as
// "invoice" or "billing.credit_grant") that expand[] may name, each mapped
// to the object values it can expand to. Paths are dotted and include
// nested ones (parent.subscription_details.subscription); arrays are
// transparent, so "discounts" is an array of IDs and
// "total_discount_amounts.discount" reaches into an array of hashes.
// Deleted stubs are folded into their live object ("deleted_customer" is
// listed as "customer"). The map is shared: do not modify it. It is nil for
// an object with nothing to expand.
func Expandable(object string) map[string][]string {
	return load().expandable[object]
}

// splitPath appends path's segments, unescaped, to buf.
func splitPath(path string, buf []string) ([]string, bool) {
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	segs, rest := buf, path[1:]
	for {
		s, after, more := strings.Cut(rest, "/")
		if strings.ContainsAny(s, "%+") {
			if u, err := url.QueryUnescape(s); err == nil {
				s = u
			}
		}
		segs = append(segs, s)
		if !more {
			return segs, true
		}
		rest = after
	}
}

func varName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// route is a trie of path segments.
type route struct {
	lit   map[string]*route
	param *route
	ops   map[string]*Operation // by method
}

func (r *route) add(op *Operation) {
	for _, s := range op.segs {
		if _, isVar := varName(s); isVar {
			if r.param == nil {
				r.param = &route{}
			}
			r = r.param
			continue
		}
		if r.lit == nil {
			r.lit = map[string]*route{}
		}
		next, ok := r.lit[s]
		if !ok {
			next = &route{}
			r.lit[s] = next
		}
		r = next
	}
	if r.ops == nil {
		r.ops = map[string]*Operation{}
	}
	r.ops[op.Method] = op
}

// find returns the operation for segs and method, or with method "" any
// operation on the path.
func (r *route) find(segs []string, method string) *Operation {
	if len(segs) == 0 {
		if method == "" {
			for _, op := range r.ops {
				return op
			}
			return nil
		}
		return r.ops[method]
	}
	if next, ok := r.lit[segs[0]]; ok {
		if op := next.find(segs[1:], method); op != nil {
			return op
		}
	}
	if r.param != nil && segs[0] != "" {
		return r.param.find(segs[1:], method)
	}
	return nil
}

type kind uint8

const (
	kString kind = iota
	kInteger
	kNumber
	kBoolean
	kObject
	kArray
	kAnyOf
	kFree
)

var kinds = map[string]kind{
	table.String: kString, table.Integer: kInteger, table.Number: kNumber,
	table.Boolean: kBoolean, table.Object: kObject, table.Array: kArray,
	table.AnyOf: kAnyOf, table.Free: kFree,
}

// node is a parameter schema, linked by pointers for a fast walk.
type node struct {
	kind     kind
	enum     []string // accepted strings; "" never listed (see empty)
	empty    bool     // "" unsets the value: Validate returns Empty{}
	max      int      // maxLength of a string, in characters; 0 is none
	format   string   // table.Format* of a string, checked by Validate
	keys     string   // table.Format* of the keys of an addl object
	required []string
	props    map[string]*node
	addl     *node // schema of undeclared keys (metadata); nil rejects them
	items    *node
	alts     []*node
}

type compiled struct {
	ops        []*Operation
	root       *route
	expandable map[string]map[string][]string
}

var (
	loadOnce sync.Once
	loaded   *compiled
)

// load parses the embedded table on first use. The table is generated and
// committed with the code, and spec_test checks it parses and is current,
// so a failure here is a build defect and panics.
func load() *compiled {
	loadOnce.Do(func() {
		c, err := parse(tableGz)
		if err != nil {
			panic("spec: embedded table: " + err.Error())
		}
		loaded = c
	})
	return loaded
}

func parse(gz []byte) (*compiled, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var f table.File
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, err
	}
	nodes := make([]node, len(f.Nodes))
	at := func(i int) (*node, error) {
		if i < 0 || i >= len(nodes) {
			return nil, fmt.Errorf("node index %d out of range", i)
		}
		return &nodes[i], nil
	}
	for i, tn := range f.Nodes {
		n := &nodes[i]
		k, ok := kinds[tn.Kind]
		if !ok {
			return nil, fmt.Errorf("node %d: unknown kind %q", i, tn.Kind)
		}
		n.kind, n.enum, n.empty, n.required = k, tn.Enum, tn.Empty, tn.Required
		n.max, n.format, n.keys = tn.MaxLength, tn.Format, tn.KeyFormat
		if len(tn.Props) > 0 {
			n.props = make(map[string]*node, len(tn.Props))
			for name, ci := range tn.Props {
				if n.props[name], err = at(ci); err != nil {
					return nil, err
				}
			}
		}
		if tn.Addl != nil {
			if n.addl, err = at(*tn.Addl); err != nil {
				return nil, err
			}
		}
		if tn.Items != nil {
			if n.items, err = at(*tn.Items); err != nil {
				return nil, err
			}
		}
		for _, ai := range tn.Alts {
			a, err := at(ai)
			if err != nil {
				return nil, err
			}
			n.alts = append(n.alts, a)
		}
	}
	c := &compiled{root: &route{}, expandable: f.Expandable}
	for _, to := range f.Ops {
		params, err := at(to.Params)
		if err != nil {
			return nil, err
		}
		op := &Operation{
			Method:  to.Method,
			Pattern: to.Pattern,
			Until:   to.Until,
			route:   to.Method + " " + to.Pattern,
			segs:    strings.Split(strings.TrimPrefix(to.Pattern, "/"), "/"),
			params:  params,
		}
		c.ops = append(c.ops, op)
		c.root.add(op)
	}
	return c, nil
}
