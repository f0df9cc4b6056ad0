package resources

import (
	"sort"

	"github.com/stripefake/stripefake/internal/apierr"
)

// List is Stripe's list envelope.
type List struct {
	Object  string `json:"object"`
	Data    []any  `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// SearchResult is Stripe's search envelope.
type SearchResult struct {
	Object     string  `json:"object"`
	Data       []any   `json:"data"`
	HasMore    bool    `json:"has_more"`
	NextPage   *string `json:"next_page"`
	URL        string  `json:"url"`
	TotalCount *int64  `json:"total_count,omitempty"` // only with expand[]=total_count
}

// limit reads the limit parameter: 1 to 100, default 10.
func limit(p Params) (int, error) {
	n, ok := p.Int("limit")
	if !ok {
		return 10, nil
	}
	if n < 1 {
		return 0, apierr.Invalid("parameter_invalid_integer", "limit", "This value must be greater than or equal to 1.")
	}
	if n > 100 {
		return 0, apierr.Invalid("parameter_invalid_integer", "limit", "This value must be less than or equal to 100.")
	}
	return int(n), nil
}

// createdFilter reports whether created matches the created parameter,
// either an exact integer or a range hash.
func createdFilter(p Params, key string) func(int64) bool {
	if n, ok := p.Int(key); ok {
		return func(t int64) bool { return t == n }
	}
	r, ok := p.Map(key)
	if !ok {
		return func(int64) bool { return true }
	}
	gt, hasGt := r.Int("gt")
	gte, hasGte := r.Int("gte")
	lt, hasLt := r.Int("lt")
	lte, hasLte := r.Int("lte")
	return func(t int64) bool {
		return (!hasGt || t > gt) && (!hasGte || t >= gte) && (!hasLt || t < lt) && (!hasLte || t <= lte)
	}
}

// page turns objects (newest inserted first) into one page of a list: the
// created filter, newest first by created with ties kept in insertion order,
// the starting_after / ending_before cursors and the limit.
func page[T any](c *Ctx, url string, items []*T, meta func(*T) (id string, created int64)) (*List, error) {
	p := c.Params
	n, err := limit(p)
	if err != nil {
		return nil, err
	}
	if p.Has("starting_after") && p.Has("ending_before") {
		return nil, apierr.InvalidRequest("starting_after", "You may only specify one of these parameters: ending_before, starting_after.")
	}
	keep := createdFilter(p, "created")
	filtered := items[:0:0]
	for _, it := range items {
		if _, created := meta(it); keep(created) {
			filtered = append(filtered, it)
		}
	}
	sort.SliceStable(filtered, func(a, b int) bool {
		_, ca := meta(filtered[a])
		_, cb := meta(filtered[b])
		return ca > cb
	})
	index := func(param string) (int, error) {
		id := p.Str(param)
		for i, it := range filtered {
			if got, _ := meta(it); got == id {
				return i, nil
			}
		}
		return 0, c.e.noSuch(objectName(url), id, param)
	}
	lo, hi := 0, len(filtered)
	hasMore := false
	switch {
	case p.Has("starting_after"):
		i, err := index("starting_after")
		if err != nil {
			return nil, err
		}
		lo = i + 1
		hi = min(lo+n, len(filtered))
		hasMore = hi < len(filtered)
	case p.Has("ending_before"):
		i, err := index("ending_before")
		if err != nil {
			return nil, err
		}
		hi = i
		lo = max(0, hi-n)
		hasMore = lo > 0
	default:
		hi = min(n, len(filtered))
		hasMore = hi < len(filtered)
	}
	data := make([]any, 0, hi-lo)
	for _, it := range filtered[lo:hi] {
		data = append(data, it)
	}
	return &List{Object: "list", Data: data, HasMore: hasMore, URL: url}, nil
}

// objectName guesses the object name of a list URL for cursor errors,
// e.g. "/v1/customers" → "customer", "/v1/payment_methods" → "payment_method".
func objectName(url string) string {
	name := url
	for i := len(url) - 1; i >= 0; i-- {
		if url[i] == '/' {
			name = url[i+1:]
			break
		}
	}
	if len(name) > 1 && name[len(name)-1] == 's' {
		name = name[:len(name)-1]
	}
	return name
}
