package resources

import (
	"encoding/json"
	"strconv"

	"github.com/stripefake/stripefake/internal/apiversion"
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
	n, _ := limit(c.Params) // walkList answers a bad limit
	page := newWirePage(c, kind, "list", n)
	hasMore, back, err := walkList(c, url, kind, term, decodeFields[H], keep, meta, func(id string, raw []byte, _ *H) {
		page.add(id, raw)
	})
	if err != nil {
		return nil, err
	}
	return finishWireList(page, back, hasMore, url)
}

// finishWireList returns the list envelope of page, its records reversed
// if back, with has_more and url.
func finishWireList(page *wirePage, back, hasMore bool, url string) (any, error) {
	b, err := page.data(back)
	if err != nil {
		return nil, err
	}
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
	hits, more, err := searchHits(c, kind, resource, fields, decodeFields[H], doc, keep, meta)
	if err != nil {
		return nil, err
	}
	// The matches are kept by ID only, as a query may match every record:
	// the page's records are read again.
	data := newWirePage(c, kind, "search_result", len(hits))
	for _, h := range hits {
		raw, err := c.tx.Get(kind, h.id)
		if err != nil {
			return nil, err
		}
		data.add(h.id, raw)
	}
	b, err := data.data(false)
	if err != nil {
		return nil, err
	}
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

// wirePage writes a page's JSON, from its start to the end of its data
// array, around its records' stored bytes, copied in as they are walked
// (the store's bytes are valid only during the walk).
type wirePage struct {
	c         *Ctx
	kind      string
	wireShape func(apiversion.Version, []byte) bool
	buf       []byte     // the envelope's start, then records' bytes, comma-separated
	head      int        // where the records begin in buf
	items     []wireSpan // the records in walk order
}

// wireSpan is where a record's bytes are in wirePage.buf; end < 0 for a
// record that is not its own wire shape, loaded and rendered at the end.
type wireSpan struct {
	id         string
	start, end int
}

// wireRecordSize is the room a page starts with per record: about a
// customer's.
const wireRecordSize = 768

// newWirePage starts a page of up to n records.
func newWirePage(c *Ctx, kind, object string, n int) *wirePage {
	p := &wirePage{c: c, kind: kind, wireShape: c.e.kinds[kind].Wire, buf: make([]byte, 0, 128+max(n, 1)*wireRecordSize)}
	p.buf = append(p.buf, `{"object":`...)
	p.buf = appendJSONString(p.buf, object)
	p.buf = append(p.buf, `,"data":[`...)
	p.head = len(p.buf)
	return p
}

func (p *wirePage) add(id string, raw []byte) {
	if p.wireShape == nil || !p.wireShape(p.c.Version, raw) {
		p.items = append(p.items, wireSpan{id, 0, -1})
		return
	}
	if len(p.buf) > p.head {
		p.buf = append(p.buf, ',')
	}
	start := len(p.buf)
	p.buf = append(p.buf, raw...)
	p.items = append(p.items, wireSpan{id, start, len(p.buf)})
}

// data returns the page's JSON up to its data array's end, the records in
// the order walked, or reversed: as json.Marshal of a List or SearchResult
// writes it. Records not in wire shape are rendered as a list renders
// its items.
func (p *wirePage) data(reversed bool) ([]byte, error) {
	inPlace := !reversed
	for _, it := range p.items {
		inPlace = inPlace && it.end >= 0
	}
	if inPlace {
		return append(p.buf, ']'), nil
	}
	out := make([]byte, p.head, len(p.buf)+1)
	copy(out, p.buf[:p.head])
	for i := range p.items {
		it := p.items[i]
		if reversed {
			it = p.items[len(p.items)-1-i]
		}
		if i > 0 {
			out = append(out, ',')
		}
		if it.end >= 0 {
			out = append(out, p.buf[it.start:it.end]...)
			continue
		}
		obj, err := p.c.e.kinds[p.kind].Load(p.c, it.id)
		if err != nil {
			return nil, err
		}
		item, err := encodeWire(p.c.Version, obj)
		if err != nil {
			return nil, err
		}
		out = append(out, item...)
	}
	return append(out, ']'), nil
}
