package apiversion

import (
	"sort"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/form"
)

// ParamChange is the request side of a breaking change: Up rewrites the
// decoded parameters of one of Routes ("POST /v1/customers", patterns as
// the spec spells them) from the older version's names into the stored
// model's, or refuses what the older version accepted and the fake does not
// model. Parameters added later need no change: Stripe accepts them on every
// version.
type ParamChange struct {
	Name   string
	Doc    string
	Routes []string
	Up     func(params map[string]any) error
	// Aside, when set, runs after Up: it takes out of params what the
	// stored model's spec no longer has but the resource code still reads
	// for older versions (a schedule phase's iterations), and returns
	// what puts it back into the validated parameters.
	Aside func(params map[string]any) (restore func(validated map[string]any))
}

// Aside puts back, after validation, the parameters request changes took
// out because the stored model's spec lacks them.
type Aside []func(validated map[string]any)

// Restore puts the set-aside parameters into validated.
func (a Aside) Restore(validated map[string]any) {
	for _, fn := range a {
		fn(validated)
	}
}

// Request rewrites the decoded parameters of a request to route made at v
// into the stored model's names: every request change made after v, oldest
// first, then the aliases Stripe accepts at every version. What it returns
// puts back, after validation, what the changes set aside.
func Request(v Version, route string, params map[string]any) (Aside, error) {
	changes, ok := requestChanges[v]
	if !ok {
		changes = requestChangesFor(v)
	}
	var aside Aside
	for _, pc := range changes {
		if !covers(pc.Routes, route) {
			continue
		}
		if pc.Up != nil {
			if err := pc.Up(params); err != nil {
				return nil, err
			}
		}
		if pc.Aside != nil {
			if fn := pc.Aside(params); fn != nil {
				aside = append(aside, fn)
			}
		}
	}
	return aside, nil
}

// requestChanges holds, for each known version, the request changes
// Request applies, in order, so that a request does not walk the releases.
var requestChanges = func() map[Version][]*ParamChange {
	m := map[Version][]*ParamChange{}
	for _, v := range Known() {
		m[v] = requestChangesFor(v)
	}
	return m
}()

// requestChangesFor lists the request changes made after v, oldest first,
// then everyVersion's.
func requestChangesFor(v Version) []*ParamChange {
	var out []*ParamChange
	for i := len(releases) - 1; i >= 0; i-- {
		r := releases[i]
		if !v.Before(r.first()) || Default.Before(r.first()) {
			continue
		}
		for j := range r.Params {
			out = append(out, &r.Params[j])
		}
	}
	for j := range everyVersion {
		out = append(out, &everyVersion[j])
	}
	return out
}

func covers(routes []string, route string) bool {
	for _, r := range routes {
		if r == route {
			return true
		}
	}
	return false
}

// everyVersion are parameters Stripe accepts on every version although its
// public spec omits them.
var everyVersion = []ParamChange{{
	Name: "ItemsPlanIsPrice",
	Doc: "items[][plan] (and plan on subscription items) names a plan, which is a price: " +
		"stripe-go v76 and v85 both send it.",
	Routes: []string{
		"POST /v1/subscriptions", "POST /v1/subscriptions/{subscription_exposed_id}",
		"POST /v1/subscription_items", "POST /v1/subscription_items/{item}",
	},
	Up: func(p map[string]any) error {
		if err := eachElem(p["items"], func(m map[string]any) error {
			return rename(m, "plan", "price", "items[plan]")
		}); err != nil {
			return err
		}
		return rename(p, "plan", "price", "plan")
	},
}, {
	Name:   "UpcomingItemsPlanIsPrice",
	Doc:    "subscription_items[][plan] on the upcoming invoice, as items[][plan] on subscriptions.",
	Routes: []string{"GET /v1/invoices/upcoming", "GET /v1/invoices/upcoming/lines"},
	Up: func(p map[string]any) error {
		return eachElem(p["subscription_items"], func(m map[string]any) error {
			return rename(m, "plan", "price", "subscription_items[plan]")
		})
	},
}}

// eachElem calls fn on each hash of an array parameter, which the form
// decoder leaves as a hash keyed by index ("0", "1", …) or a list.
func eachElem(v any, fn func(map[string]any) error) error {
	switch a := v.(type) {
	case []any:
		for _, x := range a {
			if m, ok := x.(map[string]any); ok {
				if err := fn(m); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		for _, x := range a {
			if m, ok := x.(map[string]any); ok {
				if err := fn(m); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// setAside takes keys out of params and returns what puts them back into
// the validated parameters. Their values must be strings (IDs).
func setAside(p map[string]any, keys ...string) func(map[string]any) {
	values := map[string]any{}
	for _, k := range keys {
		if v, ok := p[k]; ok {
			values[k] = v
			delete(p, k)
		}
	}
	if len(values) == 0 {
		return nil
	}
	return func(validated map[string]any) {
		for k, v := range values {
			validated[k] = v
		}
	}
}

// setAsideInElems takes key out of each hash of the array parameter
// list, and returns what puts each value back into the same element of
// the validated array (which lists the elements in index order).
func setAsideInElems(p map[string]any, list, key string) func(map[string]any) {
	var elems []map[string]any
	switch a := p[list].(type) {
	case []any:
		for _, x := range a {
			m, _ := x.(map[string]any)
			elems = append(elems, m)
		}
	case map[string]any:
		idx := make([]int, 0, len(a))
		byIdx := map[int]map[string]any{}
		for k, x := range a {
			i, ok := form.ArrayIndex(k)
			if !ok {
				return nil // not an array: validation says so
			}
			m, _ := x.(map[string]any)
			idx = append(idx, i)
			byIdx[i] = m
		}
		sort.Ints(idx)
		for _, i := range idx {
			elems = append(elems, byIdx[i])
		}
	}
	values := map[int]any{}
	for pos, m := range elems {
		if v, ok := m[key]; ok {
			values[pos] = v
			delete(m, key)
		}
	}
	if len(values) == 0 {
		return nil
	}
	return func(validated map[string]any) {
		out, _ := validated[list].([]any)
		for pos, v := range values {
			if pos < len(out) {
				if m, ok := out[pos].(map[string]any); ok {
					m[key] = v
				}
			}
		}
	}
}

// setAsideIn is setAsideInElems for the array list inside the hash
// parameter parent (schedule_details[phases]), p being that hash.
func setAsideIn(p map[string]any, parent, list, key string) func(map[string]any) {
	restore := setAsideInElems(p, list, key)
	if restore == nil {
		return nil
	}
	return func(validated map[string]any) {
		if m, ok := validated[parent].(map[string]any); ok {
			restore(m)
		}
	}
}

// rename moves params[from] to params[to]; both at once is an error naming
// param.
func rename(p map[string]any, from, to, param string) error {
	v, ok := p[from]
	if !ok {
		return nil
	}
	if _, both := p[to]; both {
		return apierr.InvalidRequest(param, "You may only specify one of these parameters: "+from+", "+to+".")
	}
	delete(p, from)
	p[to] = v
	return nil
}
