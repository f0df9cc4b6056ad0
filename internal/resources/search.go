package resources

import (
	"encoding/base64"
	"encoding/json"
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
	decode := func(raw []byte, v *T) error { return json.Unmarshal(raw, v) }
	doc := func(_ *search.Query, _ []byte, v *T) (map[string]any, error) { return toMap(v) }
	page, more, err := searchHits(c, kind, resource, fields, decode, doc, keep, meta)
	if err != nil {
		return nil, err
	}
	res := &SearchResult{Object: "search_result", URL: url, Data: make([]any, len(page))}
	for i, h := range page {
		res.Data[i] = h.v
	}
	res.HasMore, res.NextPage, res.TotalCount = more.hasMore, more.nextPage, more.totalCount
	return res, nil
}

// searchHit is one object a search matched.
type searchHit[T any] struct {
	id      string
	created int64
	v       *T
}

// searchMore is the rest of a search_result's envelope.
type searchMore struct {
	hasMore    bool
	nextPage   *string
	totalCount *int64 // only with expand[]=total_count
}

// searchHits runs the request's query over the objects of kind, each
// decoded with decode and kept when keep accepts it and the query matches
// doc of it (its record and decoded value), and returns the page of them
// the request asks for, newest first.
func searchHits[T any](c *Ctx, kind, resource string, fields search.Fields, decode func([]byte, *T) error, doc func(*search.Query, []byte, *T) (map[string]any, error), keep func(*T) bool, meta func(*T) (string, int64)) ([]searchHit[T], searchMore, error) {
	p := c.Params
	query, err := p.Require("query")
	if err != nil {
		return nil, searchMore{}, err
	}
	q, err := search.Parse(query, resource, fields)
	if err != nil {
		return nil, searchMore{}, err
	}
	n, err := limit(p)
	if err != nil {
		return nil, searchMore{}, err
	}
	offset := 0
	if tok, ok := p.String("page"); ok {
		offset, err = decodePageToken(tok)
		if err != nil {
			return nil, searchMore{}, err
		}
	}
	// A term every match carries narrows the records read to its own; only
	// a query with none (an OR, ranges, substrings, negations) reads all.
	term, _ := q.IndexTerm(func(field string) bool { return slices.Contains(searchIndexed[kind], field) })
	var matched []searchHit[T]
	fn := func(_ string, raw []byte) (bool, error) {
		v := new(T)
		if err := decode(raw, v); err != nil {
			return false, err
		}
		if keep != nil && !keep(v) {
			return true, nil
		}
		m, err := doc(q, raw, v)
		if err != nil {
			return false, err
		}
		if q.Match(m) {
			id, created := meta(v)
			matched = append(matched, searchHit[T]{id, created, v})
		}
		return true, nil
	}
	if err := c.scanNewest(kind, term, fn); err != nil {
		return nil, searchMore{}, err
	}
	sort.SliceStable(matched, func(a, b int) bool { return matched[a].created > matched[b].created })
	var more searchMore
	if slices.Contains(p.Strings("expand"), "total_count") {
		total := int64(len(matched))
		more.totalCount = &total
	}
	lo := min(offset, len(matched))
	hi := min(lo+n, len(matched))
	if hi < len(matched) {
		more.hasMore = true
		tok := encodePageToken(hi)
		more.nextPage = &tok
	}
	return matched[lo:hi], more, nil
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
