package resources

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Stored bytes made from wire bytes plus the stored-only fields equal
// encoding the value, and a type whose stored-only fields are not its last
// ones is encoded whole instead.
func TestStoredBytesFromWire(t *testing.T) {
	type trailing struct {
		ID     string `json:"id"`
		N      int    `json:"n"`
		Secret string `json:"_secret,omitempty"`
		Seq    int64  `json:"_seq"`
	}
	type interleaved struct {
		Secret string `json:"_secret"`
		ID     string `json:"id"`
	}
	if s := tailShapeOf(reflect.TypeFor[trailing]()); !s.ok || len(s.index) != 2 {
		t.Errorf("trailing: %+v", s)
	}
	if s := tailShapeOf(reflect.TypeFor[interleaved]()); s.ok {
		t.Errorf("interleaved accepted: %+v", s)
	}
	inv := &Invoice{ID: "in_1", Object: "invoice", AppliedBalance: -5, PageToken: "tok", Lines: &InvoiceLines{Object: "list"}}
	for n, lines := range []int{1, invoiceLinesShown + 1} {
		inv.Lines.Data = make([]*LineItem, lines)
		for i := range inv.Lines.Data {
			inv.Lines.Data[i] = &LineItem{ID: "il_" + string(rune('a'+i)), Object: "line_item"}
		}
		wire, _ := json.Marshal(inv.wire(""))
		p := &pendingWrite{src: inv, srcV: reflect.ValueOf(inv), wire: wire}
		got, err := storedBytes(p)
		want, _ := json.Marshal(inv)
		if err != nil || string(got) != string(want) {
			t.Errorf("case %d: stored bytes\n got %s\nwant %s", n, got, want)
		}
	}
}
