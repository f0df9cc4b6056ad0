package apiversion

import (
	"bytes"
	"sort"
	"sync"
)

// Change is one breaking change seen backwards: Down turns an object of type
// Object from the shape the change introduced into the shape before it.
type Change struct {
	Name   string // e.g. "InvoiceSubscriptionMovedToParent"
	Object string // the object type Down transforms, e.g. "invoice"
	Doc    string // what differs, for the README
	Down   func(env Env, obj map[string]any)
	// Expandable lists fields of the older shape that expand, with the
	// object types each names.
	Expandable map[string][]string
}

// Env gives a change what the dahlia shape no longer carries.
type Env interface {
	// Stored returns the stored form of object id of type kind (hidden
	// fields included), or nil.
	Stored(kind, id string) map[string]any
	// Object returns object id of type kind in the stored model's wire
	// shape, or nil; Apply then transforms it where it is placed.
	Object(kind, id string) map[string]any
	// Find returns the stored form of the first object of type kind
	// indexed under term (e.g. "payment_intent=pi_…"), or nil.
	Find(kind, term string) map[string]any
}

// Chain is every change made after one version, newest first, by object.
type Chain struct {
	byObject map[string][]*Change
	markers  [][]byte // `"object":"<type>"` for every type above
}

var chains sync.Map // Version -> *Chain

// ChainFor returns the changes to apply to render the stored model at v.
// Versions at or after dahlia get an empty chain.
func ChainFor(v Version) *Chain {
	if c, ok := chains.Load(v); ok {
		return c.(*Chain)
	}
	c := &Chain{byObject: map[string][]*Change{}}
	for _, r := range releases { // newest first
		if !v.Before(r.first()) || Default.Before(r.first()) {
			// v has these changes, or they are newer than the stored model
			continue
		}
		for i := range r.Changes {
			ch := &r.Changes[i]
			c.byObject[ch.Object] = append(c.byObject[ch.Object], ch)
		}
	}
	types := make([]string, 0, len(c.byObject))
	for t := range c.byObject {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		c.markers = append(c.markers, []byte(`"object":"`+t+`"`))
	}
	chains.Store(v, c)
	return c
}

// Empty reports whether the chain changes nothing.
func (c *Chain) Empty() bool { return len(c.byObject) == 0 }

// Touches reports whether JSON rendered by encoding/json may hold an object
// the chain transforms: a cheap test that lets most renders skip decoding.
func (c *Chain) Touches(raw []byte) bool {
	for _, m := range c.markers {
		if bytes.Contains(raw, m) {
			return true
		}
	}
	return false
}

// Apply transforms every object in the decoded JSON tree node, outermost
// first, so that a change may read nested objects before their own changes
// run.
func (c *Chain) Apply(env Env, node any) {
	switch n := node.(type) {
	case map[string]any:
		if t, ok := n["object"].(string); ok {
			for _, ch := range c.byObject[t] {
				ch.Down(env, n)
			}
		}
		for _, v := range n {
			c.Apply(env, v)
		}
	case []any:
		for _, v := range n {
			c.Apply(env, v)
		}
	}
}

// Expandable returns the object types a field of the older shape expands
// to, when a change in the chain made that field.
func (c *Chain) Expandable(object, field string) ([]string, bool) {
	for _, ch := range c.byObject[object] {
		if t, ok := ch.Expandable[field]; ok {
			return t, true
		}
	}
	return nil, false
}

// Changes lists every change the fake models, newest release first, for
// documentation and tests.
func Changes() []Change {
	var out []Change
	for _, r := range releases {
		out = append(out, r.Changes...)
	}
	return out
}

// ReleaseOf names the release v belongs to (e.g. "basil").
func ReleaseOf(v Version) string {
	for _, r := range releases {
		if !v.Before(r.first()) {
			return r.Name
		}
	}
	return ""
}
