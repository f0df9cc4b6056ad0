package resources

import (
	"encoding/json"
	"reflect"
	"testing"
)

// decodeFields must give what json.Unmarshal gives for the members a head
// struct names, however the other members nest and quote.
func TestDecodeFieldsMatchesUnmarshal(t *testing.T) {
	type head struct {
		ID        string            `json:"id"`
		Created   int64             `json:"created"`
		Deleted   bool              `json:"deleted"`
		Email     *string           `json:"email"`
		TestClock *string           `json:"test_clock"`
		Metadata  map[string]string `json:"metadata"`
	}
	records := []string{
		`{}`,
		` { "id" : "cus_1" , "created" : 17 } `,
		`{"id":"cus_2","x":{"a":["}","]",{"\"":"\\"}],"b":"{"},"created":-3,"email":null,"test_clock":"clock_1"}`,
		`{"id":"cus_3","description":"\"deleted\":true, \"id\":\"evil\"","deleted":true,"email":"a\u003cb\u003e@x.com"}`,
		`{"id":"cus_4","n":1.5e3,"t":true,"f":false,"z":null,"arr":[[],{}],"metadata":{"deleted":"true","k":"}"}}`,
		`{"id":"x\\","d":"\\\"}{","email":"\\\\\"","created":5}`,
		"{\"id\":\"cus_5\",\n\t\"\\u0065mail\":\"escaped@x.com\",\"created\":2}",
	}
	for _, rec := range records {
		var want, got head
		if err := json.Unmarshal([]byte(rec), &want); err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		if err := decodeFields([]byte(rec), &got); err != nil {
			t.Fatalf("decodeFields(%s): %v", rec, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeFields(%s)\n got %+v\nwant %+v", rec, got, want)
		}
	}
	for _, rec := range records {
		whole, err := decodeTree([]byte(rec))
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"email", "x", "n", "metadata", "absent"}
		got, err := decodeMembers([]byte(rec), names)
		if err != nil {
			t.Fatalf("decodeMembers(%s): %v", rec, err)
		}
		want := map[string]any{}
		for _, n := range names {
			if v, ok := whole[n]; ok {
				want[n] = v
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeMembers(%s)\n got %#v\nwant %#v", rec, got, want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"id"}`, `{"id":"x"`, `{"id":"x",}`, `{"id":"x" "y":1}`, `{"id":"unterminated}`, `{"a":{"b":1}`} {
		var h head
		if err := decodeFields([]byte(bad), &h); err == nil {
			t.Errorf("decodeFields(%s): no error", bad)
		}
	}
}
