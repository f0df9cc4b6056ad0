package resources

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The hand encoding of events gives json.Marshal's bytes for objects
// render made (already escaped and compact).
func TestEventMarshalJSON(t *testing.T) {
	rid, key := "req_1", `k<&>"\`+"\u2028é"
	for _, ev := range []*Event{
		{ID: "evt_1", Object: "event", APIVersion: DefaultAPIVersion, Created: 17, Type: "customer.created",
			Data: EventData{Object: json.RawMessage(`{"id":"cus_1","object":"customer","metadata":{"a":"\u003cb\u003e"}}`)}},
		{ID: "evt_2", Object: "event", APIVersion: DefaultAPIVersion, Created: 18, Type: "invoice.updated", PendingWebhooks: 2,
			Livemode: true, Recorded: 20, Timeline: "clock_<1>", Request: EventRequest{ID: &rid, IdempotencyKey: &key},
			Data: EventData{Object: json.RawMessage(`{"id":"in_1","amount_due":5,"lines":{"data":[1,"x\"}"]}}`),
				PreviousAttributes: map[string]any{"amount_due": json.RawMessage(`4`), "metadata": map[string]any{"k": nil}}}},
	} {
		got, err := ev.marshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("marshalJSON:\n got %s\nwant %s", got, want)
		}
		if id := ev.ObjectID(); id == "" || !bytes.HasPrefix(ev.Data.Object[7:], []byte(id+`"`)) {
			t.Errorf("ObjectID = %q", id)
		}
	}
}

// rawMembers agrees with json.Unmarshal, falling back to it for what the
// scanner does not expect.
func TestRawMembers(t *testing.T) {
	for _, raw := range []string{
		`{}`,
		`{"a":1,"b":"x,}\"]","c":{"d":[1,{"e":null}],"f":true},"g":[],"h":-1.5e3,"i":null}`,
		`{ "a" : 1 }`,
		`{"a\"b":1}`,
		`{"a":[{"b":"}"},"]"],"c":false}`,
	} {
		got, err := rawMembers(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", raw, got, want)
		}
	}
	for _, bad := range []string{`{"a":}`, `{"a":1`, `[1]`, `{"a":1}x`} {
		if _, err := rawMembers(json.RawMessage(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// rawDiff gives the same previous_attributes whether the two objects'
// members come in the same order (walked side by side) or not (by key),
// and when it must decode (whitespace, escaped keys).
func TestRawDiff(t *testing.T) {
	for _, tc := range []struct{ before, after, want string }{
		{`{"a":1,"b":"x"}`, `{"a":1,"b":"x"}`, `{}`},
		{`{"a":1,"b":"x","c":[1]}`, `{"a":2,"b":"x","c":[1,2]}`, `{"a":1,"c":[1]}`},
		{`{"a":1,"m":{"k":"v","j":1}}`, `{"a":1,"m":{"k":"w","j":1}}`, `{"m":{"k":"v"}}`},
		{`{"a":1,"m":{"k":"v"}}`, `{"a":1,"m":{"k":"v","n":2}}`, `{"m":{"n":null}}`},
		{`{"b":2,"a":1}`, `{"a":1,"b":3}`, `{"b":2}`},
		{`{"a":1,"gone":true}`, `{"a":1}`, `{"gone":true}`},
		{`{"a":1}`, `{"a":1,"new":"x"}`, `{"new":null}`},
		{`{"a":1, "b":2}`, `{"a":1,"b":3}`, `{"b":2}`},
		{`{"a\"q":1,"b":2}`, `{"a\"q":2,"b":2}`, `{"a\"q":1}`},
		{`{"s":"}","t":{"u":"{\"x\""}}`, `{"s":"}","t":{"u":"{"}}`, `{"t":{"u":"{\"x\""}}`},
	} {
		got, err := rawDiff(json.RawMessage(tc.before), json.RawMessage(tc.after))
		if err != nil {
			t.Errorf("%s → %s: %v", tc.before, tc.after, err)
			continue
		}
		var want any
		_ = json.Unmarshal([]byte(tc.want), &want)
		gotJSON, _ := json.Marshal(got)
		var gotTree any
		_ = json.Unmarshal(gotJSON, &gotTree)
		if !reflect.DeepEqual(gotTree, want) {
			t.Errorf("rawDiff(%s, %s) = %s, want %s", tc.before, tc.after, gotJSON, tc.want)
		}
	}
}

// sameJSON finds equal what differs only in the order of an embedded
// object's members, and nothing else.
func TestSameJSON(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{`[{"id":"txr_1","object":"tax_rate","active":true}]`, `[{"active":true,"id":"txr_1","object":"tax_rate"}]`, true},
		{`[{"id":"a","n":[1,{"x":1,"y":2}]},2]`, `[{"n":[1,{"y":2,"x":1}],"id":"a"},2]`, true},
		{`[]`, `[ ]`, true},
		{`[{"id":"a"}]`, `[{"id":"b"}]`, false},
		{`[{"id":"a"}]`, `[{"id":"a"},{"id":"a"}]`, false},
		{`[{"id":"a"},1]`, `[{"id":"a"}]`, false},
		{`[1,2]`, `[2,1]`, false},
		{`[{"a":1}]`, `[{"a":1,"b":null}]`, false},
		{`"x"`, `"y"`, false},
		{`1`, `1.0`, false},
		{`[1`, `[1`, true}, // equal bytes
		{`[1,`, `[1,2]`, false},
		{`[}`, `[ }`, false}, // malformed: ends
		{`["a]b","c,d"]`, `[ "a]b" , "c,d" ]`, true},
		{`["a\"]",1]`, `["a\"]", 1]`, true},
		{`["a\\",1]`, `["a\\",2]`, false},
		{`[{"x":"]","y":1}]`, `[{"y":1,"x":"]"}]`, true},
		{`[{"x":"]","y":1}]`, `[{"y":2,"x":"]"}]`, false},
		{`[1,2,3]`, `[1,2]`, false},
		{`[[1,{"a":[2]}]]`, `[[1,{"a":[3]}]]`, false},
		{`["\u003c"]`, `["<"]`, false}, // scalars compare as bytes
	} {
		if got := sameJSON([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("sameJSON(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
