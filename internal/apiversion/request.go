package apiversion

import (
	"github.com/stripefake/stripefake/internal/apierr"
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
}

// Request rewrites the decoded parameters of a request to route made at v
// into the stored model's names: every request change made after v, oldest
// first, then the aliases Stripe accepts at every version.
func Request(v Version, route string, params map[string]any) error {
	for i := len(releases) - 1; i >= 0; i-- {
		r := releases[i]
		if !v.Before(r.first()) || Default.Before(r.first()) {
			continue
		}
		for _, pc := range r.Params {
			if covers(pc.Routes, route) {
				if err := pc.Up(params); err != nil {
					return err
				}
			}
		}
	}
	for _, pc := range everyVersion {
		if covers(pc.Routes, route) {
			if err := pc.Up(params); err != nil {
				return err
			}
		}
	}
	return nil
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
