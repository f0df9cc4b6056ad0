// Package table is the wire format of the compact parameter table that
// internal/spec/gen writes and package spec embeds. It lives apart so the
// generator and the runtime agree on one definition and neither has to
// import the other.
package table

// Node kinds. A node is one parameter schema with its $refs resolved.
const (
	String  = "s"
	Integer = "i"
	Number  = "n"
	Boolean = "b"
	Object  = "o"
	Array   = "a"
	AnyOf   = "any" // try Alts in order
	Free    = "*"   // anything goes (additionalProperties: true)
)

// Formats of string nodes (Node.Format, Node.KeyFormat).
const (
	FormatCurrency = "currency" // a currency Stripe supports
	FormatEmail    = "email"    // an email address
	FormatURL      = "url"      // an absolute http or https URL
)

// File is the whole table.
type File struct {
	// Source names the spec the table was generated from.
	Source string `json:"source"`
	// Nodes holds every distinct schema node once; nodes refer to each other
	// by index, which keeps shared sub-trees (addresses, metadata, ranges)
	// from being repeated for every operation.
	Nodes []Node `json:"nodes"`
	// Ops is sorted by pattern, then method.
	Ops []Op `json:"ops"`
	// Expandable maps an object's `object` value to its expandable property
	// paths (dotted, arrays transparent) and the object values they expand to.
	Expandable map[string]map[string][]string `json:"expandable"`
}

// Op is one operation: an HTTP method on a path pattern.
type Op struct {
	Method  string `json:"m"`
	Pattern string `json:"p"`
	// Params is the index of the object node of all accepted parameters
	// (query and body together).
	Params int `json:"n"`
	// Until, when set, is the first API version without the operation: a
	// legacy route taken from an older release's spec (see specgen.Legacy).
	Until string `json:"u,omitempty"`
}

// Node is one parameter schema. Child references are indexes into
// File.Nodes; pointers mark "absent" for the optional single children.
type Node struct {
	Kind string `json:"t"`
	// Enum lists the accepted strings of a string node, "" removed.
	Enum []string `json:"e,omitempty"`
	// Empty is set when "" is accepted as a request to unset the value.
	Empty bool `json:"x,omitempty"`
	// MaxLength is a string node's maxLength in characters; 0 is no limit.
	MaxLength int `json:"ml,omitempty"`
	// Format is a string node's format where the validator checks one:
	// FormatCurrency from the spec, FormatEmail and FormatURL from the
	// parameter's name (the spec declares neither).
	Format string `json:"f,omitempty"`
	// KeyFormat is the format of the keys of an additionalProperties
	// object, e.g. FormatCurrency for currency_options.
	KeyFormat string         `json:"kf,omitempty"`
	Required  []string       `json:"r,omitempty"`
	Props     map[string]int `json:"p,omitempty"`
	Addl      *int           `json:"ap,omitempty"`
	Items     *int           `json:"it,omitempty"`
	Alts      []int          `json:"any,omitempty"`
}
