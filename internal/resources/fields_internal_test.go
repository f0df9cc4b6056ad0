package resources

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/stripefake/stripefake/clockwork"
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

// A page of records not all in wire shape renders those through their
// Kind.Load, in order, both ways, as a List of the decoded objects renders.
func TestWirePageRendersRecordsNotInWireShape(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	var all []*Customer
	err := e.Do(func(c *Ctx) error {
		for i, deleted := range []bool{false, true, false, true} {
			cu := &Customer{ID: fmt.Sprintf("cus_%d", i), Object: kindCustomer, Created: int64(100 + i), Deleted: deleted,
				Metadata: map[string]string{}, PreferredLocales: []string{}, TaxExempt: "none"}
			if err := c.save(kindCustomer, cu.ID, cu); err != nil {
				return err
			}
			all = append(all, cu)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		params map[string]any
		want   []*Customer
	}{
		{map[string]any{}, []*Customer{all[3], all[2], all[1], all[0]}},
		{map[string]any{"limit": "2"}, []*Customer{all[3], all[2]}},
		{map[string]any{"ending_before": "cus_1"}, []*Customer{all[3], all[2]}},
		{map[string]any{"starting_after": "cus_2"}, []*Customer{all[1], all[0]}},
	} {
		err := e.View(func(c *Ctx) error {
			c.Params = NewParams(tc.params)
			got, err := listWire(c, "/v1/customers", kindCustomer, "", func(*customerHead) bool { return true }, customerMeta)
			if err != nil {
				return err
			}
			l := &List{Object: "list", URL: "/v1/customers", HasMore: tc.params["limit"] != nil}
			for _, cu := range tc.want {
				l.Data = append(l.Data, cu)
			}
			want, err := json.Marshal(wire(string(c.Version), l))
			if err != nil {
				return err
			}
			if string(got.(json.RawMessage)) != string(want) {
				t.Errorf("%v: page\n%s\nwant\n%s", tc.params, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
