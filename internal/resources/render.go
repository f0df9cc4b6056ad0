package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/spec"
	"github.com/stripefake/stripefake/store"
)

// versioned is implemented by objects whose wire shape depends on the API
// version or on their state (a deleted customer renders as a stub).
type versioned interface {
	wire(version string) any
}

// render renders obj in the stored model's shape for c's transaction:
// what events and diffs compare. A value saved in the transaction is
// rendered as saved, once (pending_writes.go).
func (c *Ctx) render(obj any) ([]byte, error) { return c.e.renderIn(c, DefaultAPIVersion, obj) }

// render renders obj for version without a transaction to read related
// objects from: for the stored model's own shape (events, diffs). Anything
// rendered for a caller goes through renderIn.
func (e *Engine) render(version apiversion.Version, obj any) ([]byte, error) {
	return e.renderIn(nil, version, obj)
}

// renderIn is the one place an object becomes JSON for an API version:
// responses, expansion, lists, search results, events and webhook bodies.
// The stored model is dahlia's shape; for an older version the chain of
// version changes made since (internal/apiversion) transforms every object
// in the rendered tree, nested and expanded ones included. c, when not nil,
// lets a change read related objects that the newer shape no longer embeds.
func (e *Engine) renderIn(c *Ctx, version apiversion.Version, obj any) ([]byte, error) {
	var raw []byte
	switch r := obj.(type) {
	case json.RawMessage: // already rendered in the stored model's shape
		raw = r
	case []byte:
		raw = r
	default:
		var err error
		// A value saved in this transaction renders as saved, encoded once
		// (the version changes below work on a copy of the tree).
		if shared, ok, err := c.pendingWire(obj); err != nil || ok {
			if err != nil {
				return nil, err
			}
			raw = shared
			break
		}
		if raw, err = encodeWire(version, obj); err != nil {
			return nil, err
		}
	}
	chain := apiversion.ChainFor(version)
	if chain.Empty() || !chain.Touches(raw) {
		return raw, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return nil, err
	}
	chain.Apply(renderEnv{c: c, stored: map[decodedKey]map[string]any{}}, tree)
	return json.Marshal(tree)
}

// encodeWire encodes obj's wire shape for version, before the version
// chain: renderIn's first step, and a wire page's for a record not stored
// in that shape.
func encodeWire(version apiversion.Version, obj any) ([]byte, error) {
	w := wire(string(version), obj)
	if ev, ok := w.(*Event); ok {
		return ev.marshalJSON()
	}
	return json.Marshal(w)
}

// renderEnv gives version changes read access to the request's transaction.
type renderEnv struct {
	c *Ctx
	// stored keeps what Stored read during this one rendering: a version
	// change reads an invoice's stored form once for each of its lines.
	stored map[decodedKey]map[string]any
}

func (r renderEnv) load(kind, id string) any {
	if r.c == nil || r.c.tx == nil || id == "" {
		return nil
	}
	k, ok := r.c.e.kinds[kind]
	if !ok {
		return nil
	}
	obj, err := k.Load(r.c, id)
	if err != nil {
		return nil
	}
	return obj
}

// Stored returns the object as stored, hidden fields included. Changes
// only read what it returns.
func (r renderEnv) Stored(kind, id string) map[string]any {
	key := decodedKey{kind, id}
	if m, ok := r.stored[key]; ok {
		return m
	}
	m := r.storedNow(kind, id)
	if r.stored != nil {
		r.stored[key] = m
	}
	return m
}

func (r renderEnv) storedNow(kind, id string) map[string]any {
	var obj any
	if r.c != nil && r.c.preview != nil && kind == kindInvoice && id == r.c.preview.ID {
		obj = r.c.preview
	} else {
		obj = r.load(kind, id)
	}
	if obj == nil {
		return nil
	}
	m, err := toMap(obj)
	if err != nil {
		return nil
	}
	return m
}

// Find returns the stored form of the first object of kind indexed under
// term.
func (r renderEnv) Find(kind, term string) map[string]any {
	if r.c == nil || r.c.tx == nil {
		return nil
	}
	var found []byte
	err := r.c.tx.ScanIndex(kind, term, true, func(_ string, raw []byte) (bool, error) {
		found = raw
		return false, nil
	})
	if err != nil || found == nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(found, &m) != nil {
		return nil
	}
	return m
}

// Object returns the object in the stored model's wire shape.
func (r renderEnv) Object(kind, id string) map[string]any {
	obj := r.load(kind, id)
	if obj == nil {
		return nil
	}
	m, err := toMap(wire(DefaultAPIVersion, obj))
	if err != nil {
		return nil
	}
	return m
}

// wire returns what obj looks like on the wire, list items included.
func wire(version string, obj any) any {
	switch o := obj.(type) {
	case versioned:
		return o.wire(version)
	case *List:
		cp := *o
		cp.Data = wireAll(version, o.Data)
		return &cp
	case *SearchResult:
		cp := *o
		cp.Data = wireAll(version, o.Data)
		return &cp
	}
	return obj
}

func wireAll(version string, items []any) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = wire(version, it)
	}
	return out
}

// maxExpandDepth is Stripe's limit on expansion levels, "data" included.
const maxExpandDepth = 4

// renderResponse renders obj for the request, applying expand[].
func (e *Engine) renderResponse(c *Ctx, obj any) ([]byte, error) {
	paths := c.Params.Strings("expand")
	if len(paths) == 0 {
		return e.renderIn(c, c.Version, obj)
	}
	raw, err := e.renderIn(c, c.Version, obj)
	if err != nil {
		return nil, err
	}
	tree, err := decodeTree(raw)
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		segs := strings.Split(path, ".")
		if len(segs) > maxExpandDepth {
			return nil, apierr.InvalidRequest("expand", fmt.Sprintf("You cannot expand more than %d levels of a property. Property: %s", maxExpandDepth, path))
		}
		if err := c.expand(tree, segs, path); err != nil {
			return nil, err
		}
	}
	return json.Marshal(tree)
}

// decodeTree decodes a rendered object for expansion, keeping numbers as
// json.Number so that integers above 2^53 survive the round trip.
func decodeTree(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	return m, d.Decode(&m)
}

func cannotExpand(path string) error {
	return apierr.InvalidRequest("expand", fmt.Sprintf("This property cannot be expanded (%s).", path))
}

// expand replaces the ID at segs below node by the object it names, then
// goes on below it.
func (c *Ctx) expand(node map[string]any, segs []string, full string) error {
	if len(segs) == 0 {
		return nil
	}
	if node["object"] == "search_result" && full == "total_count" {
		return nil // the search handler filled it in
	}
	if o := node["object"]; o == "list" || o == "search_result" {
		if segs[0] != "data" {
			return apierr.InvalidRequest("expand", fmt.Sprintf("This property cannot be expanded (%s). You may want to try expanding 'data.%s' instead.", full, full))
		}
		items, _ := node["data"].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if err := c.expand(m, segs[1:], full); err != nil {
					return err
				}
			}
		}
		return nil
	}
	object, _ := node["object"].(string)
	fields := spec.Expandable(object)
	// The expandable field may itself be a dotted path (e.g.
	// invoice_settings.default_payment_method): take the longest match.
	k := len(segs)
	var targets []string
	for ; k > 0; k-- {
		if t, ok := fields[strings.Join(segs[:k], ".")]; ok {
			targets = t
			break
		}
	}
	if k == 0 {
		// A field an older version's shape has, made by a version change.
		if t, ok := apiversion.ChainFor(c.Version).Expandable(object, segs[0]); ok {
			targets, k = t, 1
		}
	}
	if include := includable[object][strings.Join(segs, ".")]; k == 0 && include != nil {
		return include(c, node)
	}
	if k == 0 && len(segs) > 1 {
		// Through an object the parent embeds whole, such as a
		// subscription's items list and each item's price
		// (items.data.price.product).
		if inner, ok := node[segs[0]].(map[string]any); ok && inner["object"] != nil {
			return c.expand(inner, segs[1:], full)
		}
	}
	if k == 0 {
		return cannotExpand(full)
	}
	// The hashes holding the field; a path through an array of hashes
	// (discount_amounts.discount) reaches each of them.
	parents := []map[string]any{node}
	for _, s := range segs[:k-1] {
		var next []map[string]any
		for _, p := range parents {
			v, err := expandedTree(p, s)
			if err != nil {
				return err
			}
			switch v := v.(type) {
			case map[string]any:
				next = append(next, v)
			case []any:
				for i, el := range v {
					if raw, ok := el.(json.RawMessage); ok {
						m, err := decodeTree(raw)
						if err != nil {
							return err
						}
						v[i], el = m, m
					}
					if m, ok := el.(map[string]any); ok {
						next = append(next, m)
					}
				}
			}
		}
		parents = next // a null containing hash: nothing to expand
	}
	leaf := segs[k-1]
	rest := segs[k:]
	for _, parent := range parents {
		if err := c.expandField(parent, leaf, rest, targets, full); err != nil {
			return err
		}
	}
	return nil
}

// expandField expands parent[leaf], an ID or a list of IDs, then goes on
// below it.
func (c *Ctx) expandField(parent map[string]any, leaf string, rest, targets []string, full string) error {
	if list, ok := parent[leaf].([]any); ok {
		for i, el := range list {
			expanded, err := c.expandValue(el, rest, targets, full)
			if err != nil {
				return err
			}
			list[i] = expanded
		}
		return nil
	}
	v, present := parent[leaf]
	if !present {
		return nil
	}
	expanded, err := c.expandValue(v, rest, targets, full)
	if err != nil {
		return err
	}
	parent[leaf] = expanded
	return nil
}

// expandValue expands v, an ID, an object already expanded or embedded,
// or anything else (returned as is), then goes on below it with rest. An
// object with nothing below it to expand stays rendered bytes: they go
// into the response as they are, not decoded and encoded again.
func (c *Ctx) expandValue(v any, rest, targets []string, full string) (any, error) {
	if id, ok := v.(string); ok {
		raw, err := c.loadExpanded(id, targets)
		if err != nil || raw == nil {
			return v, err
		}
		v = raw
	}
	if raw, ok := v.(json.RawMessage); ok {
		if len(rest) == 0 {
			return raw, nil
		}
		m, err := decodeTree(raw)
		if err != nil {
			return nil, err
		}
		v = m
	}
	if m, ok := v.(map[string]any); ok {
		return m, c.expand(m, rest, full)
	}
	return v, nil
}

// includable are the fields, per object, that Stripe renders only when
// expand[] names them (its "includable" fields), each with the function
// that adds it to the rendered object.
var includable = map[string]map[string]func(c *Ctx, node map[string]any) error{
	"checkout.session": {"total_details.breakdown": includeCheckoutBreakdown},
}

// expandedTree returns node[key], first decoding it in place if an earlier
// expand[] path left it as rendered bytes.
func expandedTree(node map[string]any, key string) (any, error) {
	raw, ok := node[key].(json.RawMessage)
	if !ok {
		return node[key], nil
	}
	m, err := decodeTree(raw)
	if err != nil {
		return nil, err
	}
	node[key] = m
	return m, nil
}

// loadExpanded loads the object with id among the possible target kinds
// and renders it for the request; nil if none is stored under id (an ID
// that names an object the fake does not keep, such as a deleted one).
func (c *Ctx) loadExpanded(id string, targets []string) (json.RawMessage, error) {
	known := false
	for _, t := range targets {
		if _, ok := c.e.kinds[t]; ok {
			known = true
		}
	}
	if !known {
		return nil, apierr.New(http.StatusNotImplemented, apierr.TypeAPI, "", "expand", fmt.Sprintf(
			"stripefake cannot expand %s: objects of type %s are not implemented yet.", id, strings.Join(targets, " or ")))
	}
	for _, t := range targets {
		k, ok := c.e.kinds[t]
		if !ok {
			continue
		}
		obj, err := k.Load(c, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return c.e.renderIn(c, c.Version, obj)
	}
	return nil, nil // nothing stored under id: it stays an ID
}
