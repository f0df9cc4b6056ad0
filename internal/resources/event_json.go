package resources

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Events carry their object already rendered (data.object is a
// json.RawMessage). encoding/json re-validates and re-compacts every
// RawMessage it meets, which made writing an event cost as much as
// rendering its object again; an invoice renewal writes about ten. So an
// event is encoded by hand around its rendered object, giving the same
// bytes json.Marshal would: the object is rendered once and shared by the
// stored record, responses and webhook bodies.

// marshalJSON encodes ev as json.Marshal does.
func (ev *Event) marshalJSON() ([]byte, error) {
	obj := ev.Data.Object
	if !isJSONObject(obj) {
		// Not something render made: let encoding/json check it.
		return json.Marshal(ev)
	}
	b := make([]byte, 0, len(obj)+256)
	b = append(b, `{"id":`...)
	b = appendJSONString(b, ev.ID)
	b = append(b, `,"object":`...)
	b = appendJSONString(b, ev.Object)
	b = append(b, `,"api_version":`...)
	b = appendJSONString(b, ev.APIVersion)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, ev.Created, 10)
	b = append(b, `,"data":{"object":`...)
	b = append(b, obj...)
	if len(ev.Data.PreviousAttributes) > 0 {
		prev, err := json.Marshal(ev.Data.PreviousAttributes)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"previous_attributes":`...)
		b = append(b, prev...)
	}
	b = append(b, `},"livemode":`...)
	b = strconv.AppendBool(b, ev.Livemode)
	b = append(b, `,"pending_webhooks":`...)
	b = strconv.AppendInt(b, ev.PendingWebhooks, 10)
	b = append(b, `,"request":{"id":`...)
	b = appendJSONStringPtr(b, ev.Request.ID)
	b = append(b, `,"idempotency_key":`...)
	b = appendJSONStringPtr(b, ev.Request.IdempotencyKey)
	b = append(b, `},"type":`...)
	b = appendJSONString(b, ev.Type)
	if ev.Recorded != 0 {
		b = append(b, `,"_recorded":`...)
		b = strconv.AppendInt(b, ev.Recorded, 10)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string, escaped as json.Marshal
// escapes it (HTML characters included).
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

func appendJSONStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// jsonMembers splits a JSON object made by json.Marshal into its members,
// in order, without decoding them: rawDiff compares two renderings of an
// object on every *.updated event. The values alias raw. ok is false for
// anything it does not expect (whitespace, escaped keys, not an object);
// the caller then decodes the usual way.
func jsonMembers(raw []byte) (keys []string, vals []json.RawMessage, ok bool) {
	r := memberReader{raw: raw}
	for m, more := r.next(); more; m, more = r.next() {
		keys, vals = append(keys, string(m.key)), append(vals, m.val)
	}
	if !r.ok() {
		return nil, nil, false
	}
	return keys, vals, true
}

// member is one member of a JSON object: its key's bytes (unescaped
// keys only) and its value, both aliasing the object.
type member struct {
	key []byte
	val json.RawMessage
}

// memberReader reads the members of a compact JSON object in order. Once
// next reports no more, ok says whether the whole object was read as one:
// whitespace or an escaped key stop it early, as for jsonMembers.
type memberReader struct {
	raw  []byte
	i    int // where the next member's key starts; 0 before the first
	end  bool
	good bool
}

func (r *memberReader) ok() bool { return r.end && r.good }

func (r *memberReader) next() (member, bool) {
	if r.end {
		return member{}, false
	}
	raw := r.raw
	if r.i == 0 {
		if len(raw) < 2 || raw[0] != '{' {
			r.end = true
			return member{}, false
		}
		r.i = 1
		if raw[1] == '}' {
			r.end, r.good = true, len(raw) == 2
			return member{}, false
		}
	}
	r.end = true // unless a member is read whole below
	i := r.i
	if i >= len(raw) || raw[i] != '"' {
		return member{}, false
	}
	n := bytes.IndexByte(raw[i+1:], '"')
	if n < 0 || bytes.IndexByte(raw[i+1:i+1+n], '\\') >= 0 {
		return member{}, false
	}
	keyEnd := i + 1 + n
	if keyEnd+1 >= len(raw) || raw[keyEnd+1] != ':' {
		return member{}, false
	}
	start := keyEnd + 2
	stop, valid := skipJSONValue(raw, start)
	if !valid || stop == start || stop >= len(raw) {
		return member{}, false
	}
	switch raw[stop] {
	case ',':
		r.end, r.i = false, stop+1
	case '}':
		r.good = stop+1 == len(raw)
		if !r.good {
			return member{}, false
		}
	default:
		return member{}, false
	}
	return member{raw[i+1 : keyEnd], json.RawMessage(raw[start:stop])}, true
}

// stringEnd returns the index of the quote closing the JSON string whose
// contents start at i: the first quote not escaped by an odd run of
// backslashes.
func stringEnd(raw []byte, i int) (int, bool) {
	for {
		n := bytes.IndexByte(raw[i:], '"')
		if n < 0 {
			return 0, false
		}
		q := i + n
		slashes := 0
		for j := q - 1; j >= i && raw[j] == '\\'; j-- {
			slashes++
		}
		if slashes%2 == 0 {
			return q, true
		}
		i = q + 1
	}
}

// skipJSONValue returns the index just past the compact JSON value at i.
func skipJSONValue(raw []byte, i int) (int, bool) {
	depth := 0
	for i < len(raw) {
		switch c := raw[i]; c {
		case '"':
			end, ok := stringEnd(raw, i+1)
			if !ok {
				return 0, false
			}
			i = end + 1
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i, true
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i, true
			}
			i++
		case ' ', '\t', '\n', '\r':
			return 0, false
		default:
			i++
		}
		if depth == 0 && i < len(raw) && (raw[i] == ',' || raw[i] == '}' || raw[i] == ']') {
			return i, true
		}
	}
	return 0, false
}
