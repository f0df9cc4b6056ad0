package search

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Kind is the type of a search field; it decides which operators and values
// a clause on the field may use and how the field matches.
type Kind int

// The field kinds. See the package documentation for how each matches.
const (
	// Text is Stripe's "string" type: ':' (phrase) and '~' (substring),
	// both case-insensitive.
	Text Kind = iota + 1
	// Exact is Stripe's "token" type (ids, enums): ':' only, whole value,
	// case-insensitive.
	Exact
	// Number is Stripe's "numeric" type (amounts, Unix timestamps): ':',
	// '=', '>', '<', '>=', '<='.
	Number
	// Bool is a token holding a JSON boolean: ':' with true or false.
	Bool
	// Metadata is a string map searched as field["key"]:"value".
	Metadata
)

func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case Exact:
		return "exact"
	case Number:
		return "number"
	case Bool:
		return "bool"
	case Metadata:
		return "metadata"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Fields are the fields a resource allows in search queries, by the name
// used in the query (dotted for nested fields).
type Fields map[string]Kind

// Limits of the query language.
const (
	// MaxClauses is the most clauses one query may have.
	MaxClauses = 10
	// MinSubstringLen is the shortest value, in characters, a '~' clause
	// accepts. Stripe's docs: "substrings must be a minimum of 3
	// characters".
	MinSubstringLen = 3
)

// Error messages. MsgParse and MsgUnsupportedField are Stripe's (quoted in
// public test suites run against the real API); the reasons appended after
// MsgParse are best guesses.
const (
	// MsgParse opens every query error except an unsupported field.
	MsgParse = "We were unable to parse your search query."
	// MsgSyntaxHint follows MsgParse for a syntax error.
	MsgSyntaxHint = " Try using the format `metadata[\"key\"]:\"value\"` to query for metadata or key:\"value\" to query for other fields."
	// MsgUnsupportedField is a format taking the field, the resource, and
	// the resource with '_' replaced by '-' (the docs' anchor).
	MsgUnsupportedField = "Field `%s` is an unsupported search field for resource `%s`. See http://stripe.com/docs/search#query-fields-for-%s for a list of supported fields."
	// MsgMixedAndOr answers a query using both AND (or whitespace) and OR.
	MsgMixedAndOr = MsgParse + " AND and OR cannot be combined in the same query."
	// MsgTooManyClauses answers a query with more than MaxClauses clauses.
	MsgTooManyClauses = MsgParse + " A query may contain at most 10 clauses."
	// MsgUnsupportedOperator is a format taking the operator and the field.
	MsgUnsupportedOperator = MsgParse + " The `%s` operator is not supported for field `%s`."
	// MsgSubstringTooShort is a format taking the field.
	MsgSubstringTooShort = MsgParse + " Substring queries on field `%s` must be at least 3 characters long."
	// MsgUnquoted answers a bare word where a quoted string is needed.
	MsgUnquoted = MsgParse + " String values must be quoted."
	// MsgNotNumber is a format taking the field.
	MsgNotNumber = MsgParse + " Field `%s` requires a numeric value."
	// MsgNotBool is a format taking the field.
	MsgNotBool = MsgParse + " Field `%s` accepts only true or false."
)

type operator uint8

const (
	opExact  operator = iota // :
	opSubstr                 // ~
	opEq                     // =
	opGT                     // >
	opGE                     // >=
	opLT                     // <
	opLE                     // <=
)

// operators in the order the lexer tries them (longest first).
var operators = []struct {
	text string
	op   operator
}{{">=", opGE}, {"<=", opLE}, {">", opGT}, {"<", opLT}, {"=", opEq}, {":", opExact}, {"~", opSubstr}}

func (o operator) String() string {
	for _, x := range operators {
		if x.op == o {
			return x.text
		}
	}
	return "?"
}

// Query is a parsed search query. It is immutable and safe for concurrent
// use.
type Query struct {
	clauses []clause
	or      bool
}

type clause struct {
	neg    bool
	field  string   // as written, without the metadata key
	path   []string // field split on '.'
	key    string   // metadata key
	hasKey bool
	kind   Kind
	op     operator
	null   bool
	str    string   // the value; lower-cased for Text '~'
	num    float64  // Number
	words  []string // Text ':'
}

// Parse parses query for the resource whose wire name is resource (e.g.
// "customers", used in error messages) and whose searchable fields are
// fields.
func Parse(query, resource string, fields Fields) (*Query, error) {
	p := &parser{s: query}
	q := &Query{}
	sawAnd, sawOr := false, false
	p.space()
	if p.eof() {
		return nil, syntaxErr()
	}
	for {
		if len(q.clauses) == MaxClauses {
			return nil, queryErr(MsgTooManyClauses)
		}
		c, err := p.clause(resource, fields)
		if err != nil {
			return nil, err
		}
		q.clauses = append(q.clauses, c)
		spaced := p.space()
		if p.eof() {
			break
		}
		if !spaced {
			return nil, syntaxErr()
		}
		switch p.connector() {
		case "AND":
			sawAnd = true
		case "OR":
			sawOr = true
		default:
			sawAnd = true // whitespace alone is AND
		}
		if sawAnd && sawOr {
			return nil, queryErr(MsgMixedAndOr)
		}
		if p.eof() {
			return nil, syntaxErr() // dangling AND/OR
		}
	}
	q.or = sawOr
	return q, nil
}

func queryErr(msg string) error { return apierr.InvalidRequest("query", msg) }

func syntaxErr() error { return queryErr(MsgParse + MsgSyntaxHint) }

type parser struct {
	s   string
	pos int
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// space skips whitespace and reports whether there was any.
func (p *parser) space() bool {
	start := p.pos
	for !p.eof() && isSpace(p.s[p.pos]) {
		p.pos++
	}
	return p.pos > start
}

// connector consumes "AND" or "OR" (any case) followed by whitespace, and
// the whitespace, returning the keyword upper-cased; otherwise it consumes
// nothing and returns "".
func (p *parser) connector() string {
	end := p.pos
	for end < len(p.s) && !isSpace(p.s[end]) {
		end++
	}
	word := strings.ToUpper(p.s[p.pos:end])
	if word != "AND" && word != "OR" {
		return ""
	}
	p.pos = end
	p.space()
	return word
}

func isIdent(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) clause(resource string, fields Fields) (clause, error) {
	var c clause
	if !p.eof() && p.s[p.pos] == '-' {
		c.neg = true
		p.pos++
	}
	start := p.pos
	for !p.eof() && isIdent(p.s[p.pos]) {
		p.pos++
	}
	c.field = p.s[start:p.pos]
	if c.field == "" {
		return c, syntaxErr()
	}
	if !p.eof() && p.s[p.pos] == '[' {
		p.pos++
		key, ok := p.quoted()
		if !ok || p.eof() || p.s[p.pos] != ']' {
			return c, syntaxErr()
		}
		p.pos++
		c.key, c.hasKey = key, true
	}
	found := false
	for _, o := range operators {
		if strings.HasPrefix(p.s[p.pos:], o.text) {
			c.op, found = o.op, true
			p.pos += len(o.text)
			break
		}
	}
	if !found || p.eof() {
		return c, syntaxErr()
	}
	quoted := p.s[p.pos] == '"' || p.s[p.pos] == '\''
	if quoted {
		v, ok := p.quoted()
		if !ok {
			return c, syntaxErr()
		}
		c.str = v
	} else {
		start := p.pos
		for !p.eof() && !isSpace(p.s[p.pos]) {
			p.pos++
		}
		c.str = p.s[start:p.pos]
	}

	kind, ok := fields[c.field]
	if !ok || kind < Text || kind > Metadata {
		return c, queryErr(fmt.Sprintf(MsgUnsupportedField, c.field, resource, strings.ReplaceAll(resource, "_", "-")))
	}
	c.kind = kind
	c.path = strings.Split(c.field, ".")
	if c.hasKey != (kind == Metadata) {
		return c, syntaxErr()
	}
	if !operatorAllowed(kind, c.op) {
		return c, queryErr(fmt.Sprintf(MsgUnsupportedOperator, c.op, c.field))
	}
	if !quoted && strings.EqualFold(c.str, "null") {
		if c.op != opExact {
			return c, queryErr(fmt.Sprintf(MsgUnsupportedOperator, c.op, c.field))
		}
		c.null, c.str = true, ""
		return c, nil
	}
	num, isNum := number(c.str)
	switch kind {
	case Number:
		if !isNum {
			if !quoted && !isBool(c.str) {
				return c, queryErr(MsgUnquoted)
			}
			return c, queryErr(fmt.Sprintf(MsgNotNumber, c.field))
		}
		c.num = num
	case Bool:
		if !isBool(c.str) {
			if !quoted && !isNum {
				return c, queryErr(MsgUnquoted)
			}
			return c, queryErr(fmt.Sprintf(MsgNotBool, c.field))
		}
		c.str = strings.ToLower(c.str)
	default:
		if !quoted && !isNum {
			return c, queryErr(MsgUnquoted)
		}
		if kind == Text && c.op == opSubstr {
			if utf8.RuneCountInString(c.str) < MinSubstringLen {
				return c, queryErr(fmt.Sprintf(MsgSubstringTooShort, c.field))
			}
			c.str = strings.ToLower(c.str)
		}
		if kind == Text && c.op == opExact {
			c.words = strings.Fields(c.str)
		}
	}
	return c, nil
}

func operatorAllowed(k Kind, o operator) bool {
	switch k {
	case Text:
		return o == opExact || o == opSubstr
	case Number:
		return o != opSubstr
	}
	return o == opExact
}

func isBool(s string) bool { return strings.EqualFold(s, "true") || strings.EqualFold(s, "false") }

// number parses an optionally negative decimal: digits, optionally a '.'
// and more digits. No exponents, hex, signs other than '-', Inf or NaN.
func number(s string) (float64, bool) {
	t := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(t, ".")
	if !digits(intPart) || hasDot && !digits(frac) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoted reads a '- or "-quoted string at p.pos; a backslash escapes the
// next byte.
func (p *parser) quoted() (string, bool) {
	if p.eof() || (p.s[p.pos] != '"' && p.s[p.pos] != '\'') {
		return "", false
	}
	q := p.s[p.pos]
	p.pos++
	var sb strings.Builder
	for !p.eof() {
		c := p.s[p.pos]
		p.pos++
		switch c {
		case q:
			return sb.String(), true
		case '\\':
			if p.eof() {
				return "", false
			}
			sb.WriteByte(p.s[p.pos])
			p.pos++
		default:
			sb.WriteByte(c)
		}
	}
	return "", false
}
