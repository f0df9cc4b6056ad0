package apiversion

import (
	"bytes"
	"reflect"
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
		t, _ := n["object"].(string)
		for _, ch := range c.byObject[t] {
			ch.Down(env, n)
		}
		if t == "event" && c.applyEvent(env, n) {
			// data.object and previous_attributes are done; the event's
			// other fields still go through the chain.
			for k, v := range n {
				if k != "data" {
					c.Apply(env, v)
				}
			}
			return
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

// applyEvent transforms an event whose data carries previous_attributes:
// the object before the change (data.object with previous_attributes laid
// over it) goes through the chain beside data.object, and
// previous_attributes becomes the difference of the two in the older
// version's names (e.g. current_period_end on a subscription before
// basil). It reports false, having done nothing, for other events.
func (c *Chain) applyEvent(env Env, ev map[string]any) bool {
	data, _ := ev["data"].(map[string]any)
	prev, _ := data["previous_attributes"].(map[string]any)
	cur, _ := data["object"].(map[string]any)
	if prev == nil || cur == nil {
		return false
	}
	before := overlay(deepCopy(cur).(map[string]any), prev)
	c.Apply(env, cur)
	c.Apply(env, before)
	data["previous_attributes"] = previousAttributes(before, cur)
	return true
}

// overlay lays previous_attributes over a copy of the current object:
// hashes key by key, everything else whole, as they were diffed.
func overlay(obj, prev map[string]any) map[string]any {
	for k, pv := range prev {
		pm, pIsMap := pv.(map[string]any)
		om, oIsMap := obj[k].(map[string]any)
		if pIsMap && oIsMap {
			overlay(om, pm)
			continue
		}
		obj[k] = deepCopy(pv)
	}
	return obj
}

// previousAttributes is what changed from before to after: each key whose
// value differs, with its value before (null when it was absent); hashes
// key by key.
func previousAttributes(before, after map[string]any) map[string]any {
	out := map[string]any{}
	for k, av := range after {
		bv, had := before[k]
		switch {
		case !had:
			out[k] = nil
		case reflect.DeepEqual(bv, av):
		default:
			bm, bIsMap := bv.(map[string]any)
			am, aIsMap := av.(map[string]any)
			if bIsMap && aIsMap {
				if d := previousAttributes(bm, am); len(d) > 0 {
					out[k] = d
				}
				continue
			}
			out[k] = bv
		}
	}
	for k, bv := range before {
		if _, ok := after[k]; !ok {
			out[k] = bv
		}
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = deepCopy(x)
		}
		return a
	}
	return v
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
