package resources

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/stripefake/stripefake/internal/search"
)

// Pages of kinds whose records are their own wire shape (Kind.Wire) are
// answered from the stored bytes: listWire and searchWire decode only a head
// struct H per record walked (the fields the filters and the order read,
// with decodeFields), and write the page's envelope around the records'
// bytes. renderIn takes the envelope as rendered (a json.RawMessage): no
// item is decoded, encoded or compacted again, and the version chain and
// expand[] work on the envelope as they did on a *List.

// listWire is listStored for a kind with Kind.Wire, with the same
// parameters, walk and errors.
func listWire[H any](c *Ctx, url, kind, term string, keep func(*H) bool, meta func(*H) (id string, created int64)) (any, error) {
	var items []wireItem
	wireShape := c.e.kinds[kind].Wire
	hasMore, back, err := walkList(c, url, kind, term, decodeFields[H], keep, meta, func(id string, raw []byte, _ *H) {
		items = append(items, newWireItem(wireShape, id, raw))
	})
	if err != nil {
		return nil, err
	}
	if back {
		slices.Reverse(items)
	}
	data, err := c.wireData(kind, items)
	if err != nil {
		return nil, err
	}
	b := openEnvelope("list", data)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, hasMore)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, url)
	return json.RawMessage(append(b, '}')), nil
}

// searchWire is searchObjects for a kind with Kind.Wire. The query matches
// the record's stored bytes decoded (what toMap gives of its decoded
// object), only the members it reads.
func searchWire[H any](c *Ctx, kind, resource, url string, fields search.Fields, keep func(*H) bool, meta func(*H) (string, int64)) (any, error) {
	doc := func(q *search.Query, raw []byte, _ *H) (map[string]any, error) {
		return decodeMembers(raw, q.Members())
	}
	page, more, err := searchHits(c, kind, resource, fields, decodeFields[H], doc, keep, meta)
	if err != nil {
		return nil, err
	}
	// The matches are kept by ID only, as a query may match every record:
	// the page's records are read again.
	wireShape := c.e.kinds[kind].Wire
	items := make([]wireItem, len(page))
	for i, h := range page {
		raw, err := c.tx.Get(kind, h.id)
		if err != nil {
			return nil, err
		}
		items[i] = newWireItem(wireShape, h.id, raw)
	}
	data, err := c.wireData(kind, items)
	if err != nil {
		return nil, err
	}
	b := openEnvelope("search_result", data)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, more.hasMore)
	b = append(b, `,"next_page":`...)
	if more.nextPage == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *more.nextPage)
	}
	b = append(b, `,"url":`...)
	b = appendJSONString(b, url)
	if more.totalCount != nil {
		b = append(b, `,"total_count":`...)
		b = strconv.AppendInt(b, *more.totalCount, 10)
	}
	return json.RawMessage(append(b, '}')), nil
}

// wireItem is a page's record: its bytes when they are its wire shape (a
// copy: the store's are valid only during the walk), else nil, and it is
// loaded and rendered.
type wireItem struct {
	id  string
	raw []byte
}

func newWireItem(wireShape func([]byte) bool, id string, raw []byte) wireItem {
	if wireShape != nil && wireShape(raw) {
		return wireItem{id, bytes.Clone(raw)}
	}
	return wireItem{id: id}
}

// wireData returns the JSON of each item as a list renders it.
func (c *Ctx) wireData(kind string, items []wireItem) ([][]byte, error) {
	data := make([][]byte, len(items))
	for i, it := range items {
		if it.raw != nil {
			data[i] = it.raw
			continue
		}
		obj, err := c.e.kinds[kind].Load(c, it.id)
		if err != nil {
			return nil, err
		}
		if data[i], err = json.Marshal(wire(string(c.Version), obj)); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// openEnvelope starts a page's JSON, as json.Marshal of a List or
// SearchResult writes it, up to its data array's end.
func openEnvelope(object string, data [][]byte) []byte {
	n := 128
	for _, d := range data {
		n += len(d) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"object":`...)
	b = appendJSONString(b, object)
	b = append(b, `,"data":[`...)
	for i, d := range data {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	return append(b, ']')
}
