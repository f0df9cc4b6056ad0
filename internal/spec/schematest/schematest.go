// Package schematest checks JSON that the fake renders against the response
// schemas of Stripe's OpenAPI spec (stripe-mock's spec3.json plus the
// hand-written v2 fragment in internal/spec/specv2). It is a small OpenAPI 3
// schema validator: $ref, type, nullable, enum, required, properties,
// additionalProperties, items, anyOf, pattern, maxLength and the unix-time and
// date-time formats; that is every keyword the spec's response schemas use.
//
// Only tests import it: it embeds the whole 8 MB spec, which the fake itself
// never needs. The spec is parsed once, on first use, and is read-only after
// that, so validation is safe from parallel tests.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stripe/stripe-mock/embedded"
	"github.com/stripefake/stripefake/internal/spec/specv2"
)

// Violation is one way a document breaks its schema.
type Violation struct {
	Path    string // into the JSON document, e.g. $.data[0].customer
	Message string
}

func (v Violation) String() string { return v.Path + ": " + v.Message }

// Error lists every violation found in one document.
type Error struct {
	Schema     string // what the document was checked against
	Violations []Violation
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d schema violation(s) against %s:", len(e.Violations), e.Schema)
	for _, v := range e.Violations {
		b.WriteString("\n\t")
		b.WriteString(v.String())
	}
	return b.String()
}

// Option adjusts one validation.
type Option func(*config)

type config struct {
	allowUnknown bool
}

// AllowUnknownProperties accepts properties an object schema does not
// declare. By default they are violations: the spec's objects do not set
// additionalProperties: false, but a property Stripe does not document in
// the fake's output is almost surely a bug (a typo, or a field from another
// API version).
func AllowUnknownProperties() Option {
	return func(c *config) { c.allowUnknown = true }
}

// ValidateResponse checks a JSON response body produced for the operation
// method+pattern (pattern as the spec spells it, e.g.
// /v1/customers/{customer}) against the spec's schema for status: a 2xx
// against the success schema, a 4xx or 5xx against the error schema. It
// returns an *Error describing every violation, or an error when the
// operation is not in the spec or the body is not JSON. A success response
// the spec does not declare as JSON (the quote PDF) is not checked.
func ValidateResponse(method, pattern string, status int, body []byte, opts ...Option) error {
	return validateResponse(load(), method, pattern, status, body, opts)
}

func validateResponse(d *document, method, pattern string, status int, body []byte, opts []Option) error {
	op, ok := d.Paths[pattern][strings.ToLower(method)]
	if !ok {
		return fmt.Errorf("schematest: no operation %s %s in the spec", method, pattern)
	}
	var s *schema
	var name string
	switch {
	case status >= 200 && status < 300:
		r, ok := op.Responses[strconv.Itoa(status)]
		if !ok {
			r, ok = op.Responses["200"]
		}
		if !ok {
			return fmt.Errorf("schematest: %s %s declares no success response", method, pattern)
		}
		media, ok := r.Content["application/json"]
		if !ok {
			return nil
		}
		s, name = media.Schema, fmt.Sprintf("%s %s %d", strings.ToUpper(method), pattern, status)
	case status >= 400 && status < 600:
		name = "error"
		if strings.HasPrefix(pattern, "/v2/") {
			name = "v2.error"
		}
		s = named(d, name)
	default:
		return fmt.Errorf("schematest: %s %s answered status %d, which the spec has no schema for", method, pattern, status)
	}
	return validateIn(d, s, name, body, opts)
}

// ValidateObject checks a JSON document against a named component schema
// (e.g. "customer", "event", "deleted_customer", "v2.billing.meter_event").
func ValidateObject(schemaName string, body []byte, opts ...Option) error {
	s := named(load(), schemaName)
	if s == nil {
		return fmt.Errorf("schematest: no schema %q in the spec", schemaName)
	}
	return validate(s, schemaName, body, opts)
}

// named returns a reference to the component schema name, so messages about
// the top level use that name as they do for a $ref further down.
func named(d *document, name string) *schema {
	s, ok := d.Components.Schemas[name]
	if !ok {
		return nil
	}
	return &schema{Ref: "#/components/schemas/" + name, refTarget: s, refName: name}
}

func validate(s *schema, name string, body []byte, opts []Option) error {
	return validateIn(load(), s, name, body, opts)
}

func validateIn(d *document, s *schema, name string, body []byte, opts []Option) error {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // tells 3 from 3.5 for integer checks
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("schematest: body is not JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("schematest: body has data after the JSON value")
	}
	v := &validator{d: d, cfg: cfg}
	v.check(s, doc, "$")
	if len(v.out) == 0 {
		return nil
	}
	return &Error{Schema: name, Violations: v.out}
}

// schema is the subset of an OpenAPI schema object the validator reads.
type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 string             `json:"type"`
	Nullable             bool               `json:"nullable"`
	Enum                 []any              `json:"enum"`
	Required             []string           `json:"required"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties json.RawMessage    `json:"additionalProperties"`
	Items                *schema            `json:"items"`
	AnyOf                []*schema          `json:"anyOf"`
	Format               string             `json:"format"`
	MaxLength            *int               `json:"maxLength"`
	Pattern              string             `json:"pattern"`
	Title                string             `json:"title"`

	// Set once at load time.
	addl      *schema // schema of undeclared properties
	addlAny   bool    // additionalProperties: true
	pattern   *regexp.Regexp
	refTarget *schema
	refName   string
}

type document struct {
	Paths map[string]map[string]struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema *schema `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`

	// byObject maps an `object` value to the component schemas rendering
	// it, live objects before deleted_* stubs.
	byObject map[string][]string
}

var (
	loadOnce sync.Once
	loaded   *document
)

// load parses the spec and the v2 fragment once. Both are embedded, so a
// failure is a build defect and panics.
func load() *document {
	loadOnce.Do(func() {
		d, err := parse(embedded.OpenAPISpec, specv2.OpenAPI)
		if err != nil {
			panic("schematest: " + err.Error())
		}
		loaded = d
	})
	return loaded
}

func parse(spec3, extra []byte) (*document, error) {
	var d, add document
	if err := json.Unmarshal(spec3, &d); err != nil {
		return nil, fmt.Errorf("parse spec3.json: %w", err)
	}
	if err := json.Unmarshal(extra, &add); err != nil {
		return nil, fmt.Errorf("parse v2 fragment: %w", err)
	}
	for p, item := range add.Paths {
		if _, dup := d.Paths[p]; dup {
			return nil, fmt.Errorf("v2 fragment redefines path %s", p)
		}
		d.Paths[p] = item
	}
	for name, s := range add.Components.Schemas {
		if _, dup := d.Components.Schemas[name]; dup {
			return nil, fmt.Errorf("v2 fragment redefines schema %s", name)
		}
		d.Components.Schemas[name] = s
	}
	seen := map[*schema]bool{}
	var prepare func(s *schema) error
	prepare = func(s *schema) error {
		if s == nil || seen[s] {
			return nil
		}
		seen[s] = true
		if s.Ref != "" {
			name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
			if !ok || d.Components.Schemas[name] == nil {
				return fmt.Errorf("unresolvable $ref %s", s.Ref)
			}
			s.refTarget, s.refName = d.Components.Schemas[name], name
		}
		switch ap := strings.TrimSpace(string(s.AdditionalProperties)); {
		case ap == "" || ap == "false":
		case ap == "true":
			s.addlAny = true
		default:
			s.addl = &schema{}
			if err := json.Unmarshal(s.AdditionalProperties, s.addl); err != nil {
				return fmt.Errorf("additionalProperties: %w", err)
			}
		}
		if s.Pattern != "" {
			re, err := regexp.Compile(s.Pattern)
			if err != nil {
				return fmt.Errorf("pattern %q: %w", s.Pattern, err)
			}
			s.pattern = re
		}
		for _, c := range s.Properties {
			if err := prepare(c); err != nil {
				return err
			}
		}
		for _, c := range s.AnyOf {
			if err := prepare(c); err != nil {
				return err
			}
		}
		if err := prepare(s.Items); err != nil {
			return err
		}
		return prepare(s.addl)
	}
	for _, s := range d.Components.Schemas {
		if err := prepare(s); err != nil {
			return nil, err
		}
	}
	for _, item := range d.Paths {
		for _, op := range item {
			for _, r := range op.Responses {
				for _, m := range r.Content {
					if err := prepare(m.Schema); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	d.byObject = map[string][]string{}
	names := make([]string, 0, len(d.Components.Schemas))
	for name := range d.Components.Schemas {
		names = append(names, name)
	}
	sort.Strings(names) // "deleted_x" sorts before "x": fixed below
	for _, name := range names {
		obj := d.Components.Schemas[name].Properties["object"]
		if obj == nil || len(obj.Enum) != 1 {
			continue
		}
		value, _ := obj.Enum[0].(string)
		if strings.HasPrefix(name, "deleted_") {
			d.byObject[value] = append(d.byObject[value], name)
		} else {
			d.byObject[value] = append([]string{name}, d.byObject[value]...)
		}
	}
	return &d, nil
}

type validator struct {
	d   *document
	cfg config
	out []Violation
}

func (v *validator) fail(path, format string, args ...any) {
	v.out = append(v.out, Violation{Path: path, Message: fmt.Sprintf(format, args...)})
}

// check validates val against s, appending violations under path.
func (v *validator) check(s *schema, val any, path string) {
	name := ""
	nullable := s.Nullable
	for s.refTarget != nil {
		name = s.refName
		s = s.refTarget
		nullable = nullable || s.Nullable
	}
	if val == nil {
		if !nullable {
			v.fail(path, "is null, but %s is not nullable", describeSchema(s, name))
		}
		return
	}
	if len(s.AnyOf) > 0 {
		v.anyOf(s, val, path)
		return
	}
	if !v.checkType(s, val, path) {
		return
	}
	if len(s.Enum) > 0 && !inEnum(s.Enum, val) {
		v.fail(path, "%s is not one of %s", show(val), showEnum(s.Enum))
	}
	switch x := val.(type) {
	case string:
		if s.MaxLength != nil && utf8.RuneCountInString(x) > *s.MaxLength {
			v.fail(path, "is %d characters long, more than maxLength %d", utf8.RuneCountInString(x), *s.MaxLength)
		}
		if s.pattern != nil && !s.pattern.MatchString(x) {
			v.fail(path, "%s does not match pattern %s", show(x), s.Pattern)
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				v.fail(path, "%s is not an RFC 3339 date-time", show(x))
			}
		}
	case json.Number:
		if s.Format == "unix-time" {
			if n, err := x.Int64(); err == nil && n < 0 {
				v.fail(path, "%s is not a unix time", x)
			}
		}
	case map[string]any:
		v.object(s, name, x, path)
	case []any:
		if s.Items != nil {
			for i, el := range x {
				v.check(s.Items, el, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
}

// checkType reports whether val has the JSON type s declares (a schema
// without a type accepts any).
func (v *validator) checkType(s *schema, val any, path string) bool {
	if !hasType(s, val) {
		v.fail(path, "expected %s, got %s", s.Type, show(val))
		return false
	}
	return true
}

// hasType reports whether val has the JSON type s declares. A schema
// without a type, or one made of alternatives, accepts any.
func hasType(s *schema, val any) bool {
	s = resolve(s)
	if len(s.AnyOf) > 0 {
		return true
	}
	switch s.Type {
	case "string":
		_, ok := val.(string)
		return ok
	case "integer":
		n, ok := val.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case "number":
		_, ok := val.(json.Number)
		return ok
	case "boolean":
		_, ok := val.(bool)
		return ok
	case "object":
		_, ok := val.(map[string]any)
		return ok
	case "array":
		_, ok := val.([]any)
		return ok
	}
	return true
}

func (v *validator) object(s *schema, name string, m map[string]any, path string) {
	for _, r := range s.Required {
		if _, ok := m[r]; !ok {
			v.fail(path, "missing required property %q", r)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := path + "." + k
		switch c := s.Properties[k]; {
		case c != nil:
			v.check(c, m[k], p)
		case s.addl != nil:
			v.check(s.addl, m[k], p)
		case s.addlAny:
		case len(s.Properties) == 0:
			// A free-form hash ({"type":"object"} with nothing declared).
		case !v.cfg.allowUnknown:
			v.fail(p, "property not in the schema of %s", describeSchema(s, name))
		}
	}
	// An event's data.object is declared as any hash; check it against the
	// schema of the object it holds, since the fake renders it too.
	if name == "notification_event_data" {
		if obj, ok := m["object"].(map[string]any); ok {
			v.embedded(obj, path+".object")
		}
	}
}

// embedded validates a hash by its own `object` value: the live schema, or
// the deleted_* stub when it says deleted: true.
func (v *validator) embedded(obj map[string]any, path string) {
	value, _ := obj["object"].(string)
	names := v.d.byObject[value]
	if len(names) == 0 && v.cfg.allowUnknown {
		return // a resource added after the spec's release: Stripe shows it on every version
	}
	if len(names) == 0 {
		v.fail(path+".object", "%s names no schema in the spec", show(value))
		return
	}
	name := names[0]
	if obj["deleted"] == true {
		for _, n := range names {
			if strings.HasPrefix(n, "deleted_") {
				name = n
			}
		}
	}
	v.check(named(v.d, name), obj, path)
}

// anyOf accepts val when one alternative does. Otherwise it reports the
// violations of the closest alternative: for a hash, the one whose `object`
// enum matches (an expanded customer against the customer schema), else the
// alternative with the fewest violations among those of the right type.
func (v *validator) anyOf(s *schema, val any, path string) {
	if len(s.AnyOf) == 1 {
		// The spec's way of making a $ref nullable: no real choice.
		v.check(s.AnyOf[0], val, path)
		return
	}
	type attempt struct {
		s   *schema
		out []Violation
	}
	var tries []attempt
	for _, alt := range s.AnyOf {
		sub := &validator{d: v.d, cfg: v.cfg}
		sub.check(alt, val, path)
		if len(sub.out) == 0 {
			return
		}
		tries = append(tries, attempt{alt, sub.out})
	}
	names := make([]string, len(s.AnyOf))
	for i, alt := range s.AnyOf {
		names[i] = altName(alt)
	}
	best := -1
	if m, ok := val.(map[string]any); ok {
		for i, alt := range s.AnyOf {
			if o := resolve(alt).Properties["object"]; o != nil && len(o.Enum) == 1 && m["object"] == o.Enum[0] {
				best = i
				break
			}
		}
	}
	if best < 0 {
		for i, t := range tries {
			if hasType(t.s, val) && (best < 0 || len(t.out) < len(tries[best].out)) {
				best = i
			}
		}
	}
	if best < 0 {
		v.fail(path, "%s matches none of %s", show(val), strings.Join(names, " | "))
		return
	}
	v.fail(path, "matches none of %s; closest is %s:", strings.Join(names, " | "), names[best])
	v.out = append(v.out, tries[best].out...)
}

func resolve(s *schema) *schema {
	for s.refTarget != nil {
		s = s.refTarget
	}
	return s
}

func altName(s *schema) string {
	if s.refName != "" {
		return s.refName
	}
	if len(s.Enum) > 0 {
		return s.Type + " " + showEnum(s.Enum)
	}
	if s.Title != "" {
		return s.Title
	}
	if s.Type == "" {
		return "any"
	}
	return s.Type
}

func describeSchema(s *schema, name string) string {
	if name != "" {
		return name
	}
	if s.Title != "" {
		return s.Title
	}
	if s.Type != "" {
		return "this " + s.Type
	}
	return "this value"
}

func inEnum(enum []any, val any) bool {
	for _, e := range enum {
		switch e := e.(type) {
		case string:
			if s, ok := val.(string); ok && s == e {
				return true
			}
		case bool:
			if b, ok := val.(bool); ok && b == e {
				return true
			}
		case float64:
			if n, ok := val.(json.Number); ok {
				if f, err := n.Float64(); err == nil && f == e {
					return true
				}
			}
		}
	}
	return false
}

func showEnum(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = fmt.Sprint(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// show renders a JSON value briefly for a message.
func show(val any) string {
	switch x := val.(type) {
	case string:
		if len(x) > 60 {
			x = x[:60] + "…"
		}
		return strconv.Quote(x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case map[string]any:
		if o, ok := x["object"].(string); ok {
			return "object (" + o + ")"
		}
		return "object"
	case []any:
		return fmt.Sprintf("array of %d", len(x))
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", val)
}
