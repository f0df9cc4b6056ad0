package fake

import (
	"encoding/binary"
	"net/http"
	"net/url"
)

// packedRequest is a Request as the log keeps it: every field in one byte
// slice, which the garbage collector never scans. Kept as maps, slices and
// strings, a full log of 10,000 requests gave every collection a quarter of
// a million objects to mark.
type packedRequest []byte

// packRequest packs r, with authorization, when not nil, in place of its
// Authorization values.
func packRequest(r *Request, authorization []string) packedRequest {
	strs := []string{r.Method, r.Path, r.Route, r.IdempotencyKey, r.StripeVersion, r.RequestID}
	size := binary.MaxVarintLen64 + uvarintLen(len(r.Params)) + uvarintLen(len(r.Header)+1)
	for _, s := range strs {
		size += strLen(s)
	}
	size += uvarintLen(len(r.Response)) + len(r.Response)
	for k, vs := range r.Params {
		size += strLen(k) + uvarintLen(len(vs))
		for _, v := range vs {
			size += strLen(v)
		}
	}
	for k, vs := range r.Header {
		if k == "Authorization" && authorization != nil {
			vs = authorization
		}
		size += strLen(k) + uvarintLen(len(vs)+1)
		for _, v := range vs {
			size += strLen(v)
		}
	}

	b := make([]byte, 0, size)
	for _, s := range strs {
		b = appendStr(b, s)
	}
	b = binary.AppendVarint(b, int64(r.Status))
	b = binary.AppendUvarint(b, uint64(len(r.Response)))
	b = append(b, r.Response...)
	b = binary.AppendUvarint(b, uint64(len(r.Params)))
	for k, vs := range r.Params {
		b = appendStr(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendStr(b, v)
		}
	}
	// A nil header and nil values are told from empty ones: Header.Clone,
	// which the log used before, keeps the difference.
	if r.Header == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Header)+1))
	for k, vs := range r.Header {
		if k == "Authorization" && authorization != nil {
			vs = authorization
		}
		b = appendStr(b, k)
		if vs == nil {
			b = append(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(vs)+1))
		for _, v := range vs {
			b = appendStr(b, v)
		}
	}
	return b
}

// unpack returns a new Request with the packed fields. Params values and
// the response are nil when empty, the header's values share one array, as
// the copies the log made before.
func (p packedRequest) unpack() Request {
	u := unpacker{b: p}
	var r Request
	r.Method, r.Path, r.Route = u.str(), u.str(), u.str()
	r.IdempotencyKey, r.StripeVersion, r.RequestID = u.str(), u.str(), u.str()
	r.Status = int(u.varint())
	if n := int(u.uvarint()); n > 0 {
		r.Response = append([]byte(nil), u.bytes(n)...)
	}
	nparams := int(u.uvarint())
	r.Params = make(url.Values, nparams)
	for range nparams {
		k := u.str()
		var vs []string
		if n := int(u.uvarint()); n > 0 {
			vs = make([]string, n)
			for i := range vs {
				vs[i] = u.str()
			}
		}
		r.Params[k] = vs
	}
	nkeys := int(u.uvarint())
	if nkeys == 0 {
		return r // a nil header
	}
	nkeys--
	// Count the values first, so that they share one array.
	head, nv := u, 0
	for range nkeys {
		u.str()
		if n := int(u.uvarint()); n > 0 {
			for range n - 1 {
				u.str()
				nv++
			}
		}
	}
	u = head
	sv := make([]string, nv)
	r.Header = make(http.Header, nkeys)
	for range nkeys {
		k := u.str()
		n := int(u.uvarint())
		if n == 0 {
			r.Header[k] = nil
			continue
		}
		n--
		for i := range n {
			sv[i] = u.str()
		}
		r.Header[k] = sv[:n:n]
		sv = sv[n:]
	}
	return r
}

type unpacker struct{ b []byte }

func (u *unpacker) uvarint() uint64 {
	v, n := binary.Uvarint(u.b)
	u.b = u.b[n:]
	return v
}

func (u *unpacker) varint() int64 {
	v, n := binary.Varint(u.b)
	u.b = u.b[n:]
	return v
}

func (u *unpacker) bytes(n int) []byte {
	b := u.b[:n]
	u.b = u.b[n:]
	return b
}

func (u *unpacker) str() string { return string(u.bytes(int(u.uvarint()))) }

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func strLen(s string) int { return uvarintLen(len(s)) + len(s) }

func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}
