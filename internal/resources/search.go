package resources

import (
	"encoding/base64"
	"slices"
	"sort"
	"strconv"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
)

// searchObjects serves a /v1/<resource>/search endpoint: the query language
// of package search over every object of kind that keep accepts, newest
// first, paged with an opaque next_page token.
func searchObjects[T any](c *Ctx, kind, resource, url string, fields search.Fields, keep func(*T) bool, meta func(*T) (string, int64)) (any, error) {
	p := c.Params
	query, err := p.Require("query")
	if err != nil {
		return nil, err
	}
	q, err := search.Parse(query, resource, fields)
	if err != nil {
		return nil, err
	}
	n, err := limit(p)
	if err != nil {
		return nil, err
	}
	offset := 0
	if tok, ok := p.String("page"); ok {
		offset, err = decodePageToken(tok)
		if err != nil {
			return nil, err
		}
	}
	// A term every match carries narrows the records read to its own; only
	// a query with none (an OR, ranges, substrings, negations) reads all.
	term, _ := q.IndexTerm(func(field string) bool { return slices.Contains(searchIndexed[kind], field) })
	items, err := scan(c, kind, term, keep)
	if err != nil {
		return nil, err
	}
	var matched []*T
	for _, it := range items {
		m, err := toMap(it)
		if err != nil {
			return nil, err
		}
		if q.Match(m) {
			matched = append(matched, it)
		}
	}
	sort.SliceStable(matched, func(a, b int) bool {
		_, ca := meta(matched[a])
		_, cb := meta(matched[b])
		return ca > cb
	})
	res := &SearchResult{Object: "search_result", URL: url, Data: []any{}}
	if slices.Contains(p.Strings("expand"), "total_count") {
		total := int64(len(matched))
		res.TotalCount = &total
	}
	lo := min(offset, len(matched))
	hi := min(lo+n, len(matched))
	for _, it := range matched[lo:hi] {
		res.Data = append(res.Data, it)
	}
	if hi < len(matched) {
		res.HasMore = true
		tok := encodePageToken(hi)
		res.NextPage = &tok
	}
	return res, nil
}

// searchIndexed lists per kind the search fields its records carry index
// terms for (search.Term, search.TextTerms, search.MetadataTerms, added by
// the kind's terms function).
var searchIndexed = map[string][]string{
	kindCustomer:      {"email", "metadata"},
	kindInvoice:       {"customer", "metadata", "status", "subscription"},
	kindPaymentIntent: {"customer", "metadata", "status"},
	kindPrice:         {"lookup_key", "metadata", "product"},
	kindProduct:       {"metadata"},
	kindSubscription:  {"metadata", "status"},
}

func encodePageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("stripefake-offset:" + strconv.Itoa(offset)))
}

func decodePageToken(tok string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	const prefix = "stripefake-offset:"
	if err == nil && len(raw) > len(prefix) && string(raw[:len(prefix)]) == prefix {
		if n, err := strconv.Atoi(string(raw[len(prefix):])); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, apierr.InvalidRequest("page", "Invalid page token: "+tok)
}
