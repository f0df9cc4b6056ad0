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
	if ev.Timeline != "" {
		b = append(b, `,"_timeline":`...)
		b = appendJSONString(b, ev.Timeline)
	}
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
// anything it does not expect (an escaped key, not an object); the caller
// then decodes the usual way.
func jsonMembers(raw []byte) (keys []string, vals []json.RawMessage, ok bool) {
	r := memberReader{raw: raw}
	for m, more := r.next(); more; m, more = r.next() {
		if bytes.IndexByte(m.key, '\\') >= 0 {
			return nil, nil, false
		}
		keys, vals = append(keys, string(m.key)), append(vals, m.val)
	}
	if !r.ok() {
		return nil, nil, false
	}
	return keys, vals, true
}

// member is one member of a JSON object: its key as written (quotes
// removed) and its value, both aliasing the object.
type member struct {
	key []byte
	val json.RawMessage
}

// memberReader reads the members of a JSON object in order, one at a
// time, skipping values without decoding them (fields.go's skipString and
// skipValue). Once next reports no more, ok says whether the whole object
// was read as one.
type memberReader struct {
	raw     []byte
	i       int // where the next member's key starts
	started bool
	end     bool
	good    bool
}

func (r *memberReader) ok() bool { return r.end && r.good }

func (r *memberReader) next() (member, bool) {
	if r.end {
		return member{}, false
	}
	raw := r.raw
	r.end = true // unless a member is followed by another below
	i := r.i
	if !r.started {
		r.started = true
		i = skipSpace(raw, 0)
		if i >= len(raw) || raw[i] != '{' {
			return member{}, false
		}
		if i = skipSpace(raw, i+1); i < len(raw) && raw[i] == '}' {
			r.good = skipSpace(raw, i+1) == len(raw)
			return member{}, false
		}
	}
	if i >= len(raw) || raw[i] != '"' {
		return member{}, false
	}
	end := skipString(raw, i)
	if end < 0 {
		return member{}, false
	}
	key := raw[i+1 : end-1]
	if i = skipSpace(raw, end); i >= len(raw) || raw[i] != ':' {
		return member{}, false
	}
	i = skipSpace(raw, i+1)
	vend := skipValue(raw, i)
	if vend <= i {
		return member{}, false
	}
	val := json.RawMessage(raw[i:vend])
	if i = skipSpace(raw, vend); i >= len(raw) {
		return member{}, false
	}
	switch raw[i] {
	case ',':
		r.end, r.i = false, skipSpace(raw, i+1)
	case '}':
		r.good = skipSpace(raw, i+1) == len(raw)
	default:
		return member{}, false
	}
	return member{key, val}, true
}
