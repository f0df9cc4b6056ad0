package apiversion

import (
	"encoding/json"
	"testing"
)

func TestBefore(t *testing.T) {
	if !V20231016.Before(Basil) || Basil.Before(V20231016) || Basil.Before("2025-03-31.basil") {
		t.Error("Before compares dates")
	}
	if !Version("2025-08-27.basil").Before(Clover) || Version("2026-10-28.endive").Before(Dahlia) {
		t.Error("Before across releases")
	}
}

func TestKnownAndNewest(t *testing.T) {
	vs := Known()
	if vs[0] != V20231016 || Newest() != "2026-11-18.endive" || vs[len(vs)-1] != Newest() {
		t.Fatalf("known %v, newest %s", vs, Newest())
	}
	for i := 1; i < len(vs); i++ {
		if !vs[i-1].Before(vs[i]) {
			t.Errorf("%s is not before %s", vs[i-1], vs[i])
		}
	}
	if ReleaseOf("2025-05-28.basil") != "basil" || ReleaseOf("2023-10-16") != "2023-10-16" || ReleaseOf("2026-10-28.endive") != "endive" {
		t.Error("ReleaseOf")
	}
}

func TestChainFor(t *testing.T) {
	if !ChainFor(Dahlia).Empty() || !ChainFor("2026-10-28.endive").Empty() {
		t.Error("dahlia and later render the stored model as is")
	}
	if ChainFor("2025-08-27.basil").Touches([]byte(`{"object":"invoice"}`)) {
		t.Error("basil has basil's changes")
	}
	if !ChainFor("2025-02-24.acacia").Touches([]byte(`{"object":"invoice"}`)) {
		t.Error("acacia lacks basil's changes")
	}
	// A subscription at 2023-10-16: periods from the first item, the items'
	// own periods gone; the discount's coupon back in place.
	var tree any
	_ = json.Unmarshal([]byte(`{"object":"subscription","start_date":1,"discounts":[{"object":"discount","source":{"type":"coupon","coupon":{"id":"co_1","object":"coupon"}}}],
		"items":{"object":"list","data":[{"object":"subscription_item","current_period_start":10,"current_period_end":20}]}}`), &tree)
	ChainFor(V20231016).Apply(nilEnv{}, tree)
	sub := tree.(map[string]any)
	if sub["current_period_start"] != 10.0 || sub["current_period_end"] != 20.0 {
		t.Errorf("periods: %v", sub)
	}
	item := sub["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if _, ok := item["current_period_start"]; ok {
		t.Errorf("item keeps its period: %v", item)
	}
	d := sub["discount"].(map[string]any)
	if d["coupon"].(map[string]any)["id"] != "co_1" || d["source"] != nil {
		t.Errorf("discount: %v", d)
	}
}

type nilEnv struct{}

func (nilEnv) Stored(string, string) map[string]any { return nil }
func (nilEnv) Object(string, string) map[string]any { return nil }
func (nilEnv) Find(string, string) map[string]any   { return nil }

// An event whose data carries previous_attributes still goes through the
// changes registered for events, and its other fields through the chain.
func TestChainAppliesEventChangesWithPreviousAttributes(t *testing.T) {
	c := &Chain{byObject: map[string][]*Change{
		"event": {{Name: "TestEventRenamed", Object: "event", Down: func(_ Env, o map[string]any) {
			o["old_name"] = o["new_name"]
			delete(o, "new_name")
		}}},
		"thing": {{Name: "TestThingRenamed", Object: "thing", Down: func(_ Env, o map[string]any) {
			o["size"] = o["length"]
			delete(o, "length")
		}}},
	}}
	ev := map[string]any{
		"object":   "event",
		"new_name": "x",
		"request":  map[string]any{"object": "thing", "length": 1.0},
		"data": map[string]any{
			"object":              map[string]any{"object": "thing", "length": 2.0},
			"previous_attributes": map[string]any{"length": 1.0},
		},
	}
	c.Apply(nilEnv{}, ev)
	got, _ := json.Marshal(ev)
	want := `{"data":{"object":{"object":"thing","size":2},"previous_attributes":{"size":1}},"object":"event","old_name":"x","request":{"object":"thing","size":1}}`
	if string(got) != want {
		t.Errorf("event\n got %s\nwant %s", got, want)
	}
}
