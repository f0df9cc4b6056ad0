package form_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/form"
)

type tree = map[string]any
type list = []any

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want tree
	}{
		{"empty", "", tree{}},
		{"scalar", "a=1", tree{"a": "1"}},
		{"empty pairs skipped", "&&a=1&&", tree{"a": "1"}},
		{"no equals is empty value", "a", tree{"a": ""}},
		{"value keeps later equals", "a=b=c", tree{"a": "b=c"}},
		{"semicolon is literal", "a=1;b=2", tree{"a": "1;b=2"}},
		{"stripe-go items", "items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2",
			tree{"items": tree{"0": tree{"price": "price_1", "quantity": "2"}, "1": tree{"price": "price_2"}}}},
		{"expand", "expand[0]=data.test_clock", tree{"expand": tree{"0": "data.test_clock"}}},
		{"range filter", "limit=3&created[gte]=100&created[lt]=200&expand[0]=data.test_clock",
			tree{"limit": "3", "created": tree{"gte": "100", "lt": "200"}, "expand": tree{"0": "data.test_clock"}}},
		{"search query value decoded", "query=email%3A%27a%40b.c%27+AND+metadata%5B%27k%27%5D%3A%27v%27",
			tree{"query": "email:'a@b.c' AND metadata['k']:'v'"}},
		{"metadata key unset", "metadata[order_id]=", tree{"metadata": tree{"order_id": ""}}},
		{"metadata whole unset", "metadata=", tree{"metadata": ""}},
		{"nested hash", "a[b][c]=v", tree{"a": tree{"b": tree{"c": "v"}}}},
		{"percent-encoded brackets", "a%5Bb%5D%5Bc%5D=v", tree{"a": tree{"b": tree{"c": "v"}}}},
		{"lowercase percent brackets", "a%5bb%5d=v", tree{"a": tree{"b": "v"}}},
		{"plus and percent in values", "a=x+y%2Bz%20w", tree{"a": "x y+z w"}},
		{"plus in key", "metadata[order+id]=1", tree{"metadata": tree{"order id": "1"}}},
		{"quote in segment", "metadata['k']=v", tree{"metadata": tree{"'k'": "v"}}},
		{"last scalar wins", "limit=3&limit=10", tree{"limit": "10"}},
		{"last indexed leaf wins", "a[0]=x&a[0]=y", tree{"a": tree{"0": "y"}}},
		{"last hash leaf wins", "a[b]=x&a[b]=y", tree{"a": tree{"b": "y"}}},
		{"append", "a[]=x&a[]=y", tree{"a": tree{"0": "x", "1": "y"}}},
		{"append equals indexes", "a[0]=x&a[1]=y", tree{"a": tree{"0": "x", "1": "y"}}},
		{"sparse indexes kept", "a[7]=y&a[3]=x&a[12]=z", tree{"a": tree{"3": "x", "7": "y", "12": "z"}}},
		{"append after index", "a[5]=x&a[]=y&a[0]=w", tree{"a": tree{"0": "w", "5": "x", "6": "y"}}},
		{"append after a larger index", "a[7]=x&a[3]=y&a[]=z", tree{"a": tree{"3": "y", "7": "x", "8": "z"}}},
		{"rack style merges", "a[][b]=1&a[][c]=2", tree{"a": tree{"0": tree{"b": "1", "c": "2"}}}},
		{"rack style splits on repeat", "a[][b]=1&a[][c]=2&a[][b]=3&a[][c]=4",
			tree{"a": tree{"0": tree{"b": "1", "c": "2"}, "1": tree{"b": "3", "c": "4"}}}},
		{"rack style deep merge", "a[][b][c]=1&a[][b][d]=2", tree{"a": tree{"0": tree{"b": tree{"c": "1", "d": "2"}}}}},
		{"rack style nested append merges", "a[][b][]=1&a[][b][]=2",
			tree{"a": tree{"0": tree{"b": tree{"0": "1", "1": "2"}}}}},
		{"append of arrays", "a[][]=1&a[][]=2", tree{"a": tree{"0": tree{"0": "1"}, "1": tree{"0": "2"}}}},
		{"rack style does not merge into an array", "a[0][0]=1&a[][b]=2",
			tree{"a": tree{"0": tree{"0": "1"}, "1": tree{"b": "2"}}}},
		{"append after scalar element", "a[]=x&a[][b]=1", tree{"a": tree{"0": "x", "1": tree{"b": "1"}}}},
		{"mixed element types", "a[0]=x&a[1][b]=y", tree{"a": tree{"0": "x", "1": tree{"b": "y"}}}},
		{"numeric metadata key", "metadata[12345]=x", tree{"metadata": tree{"12345": "x"}}},
		{"numeric and named keys mix", "metadata[0]=a&metadata[k]=b&metadata[7]=c",
			tree{"metadata": tree{"0": "a", "k": "b", "7": "c"}}},
		{"named then numeric", "a[b]=2&a[0]=1", tree{"a": tree{"b": "2", "0": "1"}}},
		{"leading zero is a hash key", "a[007]=x", tree{"a": tree{"007": "x"}}},
		{"leading zero and index differ", "a[007]=x&a[7]=y", tree{"a": tree{"007": "x", "7": "y"}}},
		{"ten digits is a hash key", "a[1234567890]=x", tree{"a": tree{"1234567890": "x"}}},
		{"negative is a hash key", "a[-1]=x", tree{"a": tree{"-1": "x"}}},
		{"numeric top-level name", "0=x", tree{"0": "x"}},
		{"empty values kept in arrays", "default_tax_rates=&items[0][tax_rates]=",
			tree{"default_tax_rates": "", "items": tree{"0": tree{"tax_rates": ""}}}},
		{"literal keyword values", "billing_cycle_anchor=now&tiers[0][up_to]=inf",
			tree{"billing_cycle_anchor": "now", "tiers": tree{"0": tree{"up_to": "inf"}}}},
		{"max depth", "a" + strings.Repeat("[b]", form.MaxDepth-1) + "=x", nest(form.MaxDepth)},
		{"utf8 and odd bytes", "metadata[caf%C3%A9]=%FF", tree{"metadata": tree{"café": "\xff"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := form.Decode(tt.raw)
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.raw, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tt.raw, diff)
			}
			again, err := form.Decode(form.Encode(got))
			if err != nil {
				t.Fatalf("Decode(Encode(...)) = %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip through %q mismatch (-first +second):\n%s", form.Encode(got), diff)
			}
		})
	}
}

// nest returns {"a":{"b":{"b":...:"x"}}} with depth levels in all.
func nest(depth int) tree {
	var v any = "x"
	for i := 1; i < depth; i++ {
		v = tree{"b": v}
	}
	return tree{"a": v}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantParam string
		wantMsg   string
	}{
		{"scalar then hash", "a=1&a[b]=2", "a", form.MsgInvalidHash},
		{"hash then scalar", "a[b]=2&a=1", "a", form.MsgInvalidHash},
		{"empty whole map then key", "metadata=&metadata[k]=v", "metadata", form.MsgInvalidHash},
		{"nested scalar then hash", "a[b]=1&a[b][c]=2", "a", form.MsgInvalidHash},
		{"append then hash", "a[]=1&a[b]=2", "a", form.MsgInvalidArray},
		{"hash then append", "a[b]=2&a[]=1", "a", form.MsgInvalidArray},
		{"scalar then array", "a=1&a[]=2", "a", form.MsgInvalidArray},
		{"scalar then index", "a=1&a[0]=2", "a", form.MsgInvalidArray},
		{"array then scalar", "a[]=1&a=2", "a", form.MsgInvalidArray},
		{"index then scalar", "a[0]=1&a=2", "a", form.MsgInvalidArray},
		{"element scalar then hash", "a[0]=1&a[0][b]=2", "a", form.MsgInvalidHash},
		{"rack hash then array", "a[][b]=1&a[0][]=2", "a", form.MsgInvalidArray},
		{"unclosed bracket", "a[b=1", "a", form.MsgInvalidName + "a[b"},
		{"close without open", "a]b=1", "a", form.MsgInvalidName + "a]b"},
		{"stray close", "a[b]]=1", "a", form.MsgInvalidName + "a[b]]"},
		{"nested open", "a[[b]]=1", "a", form.MsgInvalidName + "a[[b]]"},
		{"text after bracket", "a[b]c=1", "a", form.MsgInvalidName + "a[b]c"},
		{"no name", "[x]=1", "[x]", form.MsgInvalidName + "[x]"},
		{"empty key", "=1", "", form.MsgInvalidName},
		{"encoded malformed", "a%5Bb=1", "a", form.MsgInvalidName + "a[b"},
		{"too deep", "a" + strings.Repeat("[b]", form.MaxDepth) + "=x", "a",
			form.MsgTooDeep + "a" + strings.Repeat("[b]", form.MaxDepth)},
		{"bad value escape", "a=%zz", "a", form.MsgInvalidEncoding + "a"},
		{"bad key escape", "a%z=1", "", form.MsgInvalidEncoding + "a%z"},
		{"too many", strings.Repeat("a[]=1&", form.MaxLeaves+1), "a", form.MsgTooManyParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := form.Decode(tt.raw)
			checkErr(t, got, err, tt.wantParam, tt.wantMsg)
		})
	}
}

func checkErr(t *testing.T, got tree, err error, param, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got %v, want error %q", got, msg)
	}
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %T %v is not *apierr.Error", err, err)
	}
	if ae.Status != http.StatusBadRequest || ae.Type != apierr.TypeInvalidRequest {
		t.Errorf("status/type = %d %s, want 400 invalid_request_error", ae.Status, ae.Type)
	}
	if ae.Param != param {
		t.Errorf("param = %q, want %q", ae.Param, param)
	}
	if ae.Message != msg {
		t.Errorf("message = %q, want %q", ae.Message, msg)
	}
}

func TestDecodeLimitsExact(t *testing.T) {
	if _, err := form.Decode(strings.Repeat("a[]=1&", form.MaxLeaves)); err != nil {
		t.Errorf("MaxLeaves pairs: %v", err)
	}
	got, err := form.Decode("a[999999999]=x&a[]=y")
	if err == nil {
		t.Errorf("append past the largest index = %v, want error", got)
	}
}

func TestDecodeValues(t *testing.T) {
	tests := []struct {
		name string
		in   url.Values
		want tree
	}{
		{"stripe-go list", url.Values{
			"limit":        {"3"},
			"created[gte]": {"100"},
			"expand[0]":    {"data.test_clock"},
			"expand[1]":    {"data.default_source"},
		}, tree{"limit": "3", "created": tree{"gte": "100"}, "expand": tree{"0": "data.test_clock", "1": "data.default_source"}}},
		{"ten or more elements", url.Values{
			"a[0]": {"0"}, "a[1]": {"1"}, "a[2]": {"2"}, "a[10]": {"10"}, "a[9]": {"9"},
		}, tree{"a": tree{"0": "0", "1": "1", "2": "2", "9": "9", "10": "10"}}},
		{"repeated append", url.Values{"a[]": {"x", "y"}}, tree{"a": tree{"0": "x", "1": "y"}}},
		{"numeric metadata key", url.Values{"metadata[12345]": {"x"}}, tree{"metadata": tree{"12345": "x"}}},
		{"repeated scalar last wins", url.Values{"limit": {"3", "10"}}, tree{"limit": "10"}},
		{"keys are not unescaped again", url.Values{"metadata[a%5Bb]": {"1"}}, tree{"metadata": tree{"a%5Bb": "1"}}},
		{"metadata unset", url.Values{"metadata": {""}}, tree{"metadata": ""}},
		{"nil", nil, tree{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := form.DecodeValues(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	got, err := form.DecodeValues(url.Values{"a": {"1"}, "a[b]": {"2"}})
	checkErr(t, got, err, "a", form.MsgInvalidHash)
}

// TestDecodeValuesMatchesDecode checks that the two entry points agree on
// what url.ParseQuery splits.
func TestDecodeValuesMatchesDecode(t *testing.T) {
	for _, raw := range []string{
		"items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2",
		"limit=3&created[gte]=100&created[lt]=200&expand[0]=data.test_clock",
		"query=email%3A%27a%40b.c%27+AND+metadata%5B%27k%27%5D%3A%27v%27",
		"metadata[order_id]=&metadata[x]=1&description=",
	} {
		v, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		a, errA := form.Decode(raw)
		b, errB := form.DecodeValues(v)
		if errA != nil || errB != nil {
			t.Fatalf("%q: %v / %v", raw, errA, errB)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%q: Decode vs DecodeValues (-Decode +DecodeValues):\n%s", raw, diff)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		in   tree
		want string
	}{
		{"empty", tree{}, ""},
		{"sorted and indexed",
			tree{"items": list{tree{"quantity": "2", "price": "price_1"}, tree{"price": "price_2"}}, "customer": "cus_1"},
			"customer=cus_1&items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2"},
		{"escaped", tree{"query": "email:'a@b.c' AND x", "metadata": tree{"order id": "a&b=c"}},
			"metadata[order+id]=a%26b%3Dc&query=email%3A%27a%40b.c%27+AND+x"},
		{"empty values", tree{"metadata": "", "a": tree{"b": ""}}, "a[b]=&metadata="},
		{"empty containers vanish", tree{"a": tree{}, "b": list{}, "c": "1"}, "c=1"},
		{"non-string leaves", tree{"n": json.Number("12"), "f": 1.5, "t": true, "z": nil, "i": 7},
			"f=1.5&i=7&n=12&t=true&z="},
		{"typed maps and slices", tree{"m": map[string]string{"b": "2", "a": "1"}, "s": []string{"x", "y"}},
			"m[a]=1&m[b]=2&s[0]=x&s[1]=y"},
		{"numeric hash keys as sent", tree{"metadata": tree{"12345": "x", "7": "y", "007": "z"}},
			"metadata[007]=z&metadata[12345]=x&metadata[7]=y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := form.Encode(tt.in); got != tt.want {
				t.Errorf("Encode = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncodeIsAFingerprint(t *testing.T) {
	a, _ := form.Decode("b=2&a[y]=1&a[x]=0&c[1]=q&c[0]=p")
	b, _ := form.Decode("c[0]=p&a[x]=0&c[1]=q&b=2&a[y]=1")
	c, _ := form.Decode("c[]=p&c[]=q&a[x]=0&a[y]=1&b=2")
	if form.Encode(a) != form.Encode(b) || form.Encode(a) != form.Encode(c) {
		t.Errorf("equal trees encode differently: %q %q %q", form.Encode(a), form.Encode(b), form.Encode(c))
	}
	d, _ := form.Decode("c[0]=q&c[1]=p&a[x]=0&a[y]=1&b=2")
	if form.Encode(a) == form.Encode(d) {
		t.Errorf("different array order encodes the same: %q", form.Encode(d))
	}
}

// A []any (which Decode never returns) encodes with indexes and decodes back
// as the hash Decode gives for any array.
func TestEncodeListDecodesAsHash(t *testing.T) {
	got, err := form.Decode(form.Encode(tree{"a": list{"x", "y"}}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tree{"a": tree{"0": "x", "1": "y"}}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestArrayIndex(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "7": 7, "10": 10, "999999999": 999999999} {
		if got, ok := form.ArrayIndex(s); !ok || got != want {
			t.Errorf("ArrayIndex(%q) = %d, %v; want %d, true", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "007", "00", "-1", "+1", "1e3", "1234567890", " 1", "x"} {
		if got, ok := form.ArrayIndex(s); ok {
			t.Errorf("ArrayIndex(%q) = %d, true; want not an index", s, got)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name string
		body string
		want tree
	}{
		{"empty body", "", tree{}},
		{"whitespace body", " \n", tree{}},
		{"empty object", "{}", tree{}},
		{"meter event", `{"event_name":"api_call","payload":{"stripe_customer_id":"cus_1","value":"5"},"timestamp":"2023-11-14T22:13:20Z"}`,
			tree{"event_name": "api_call", "payload": tree{"stripe_customer_id": "cus_1", "value": "5"}, "timestamp": "2023-11-14T22:13:20Z"}},
		{"numbers keep precision", `{"a":12345678901234567890,"b":1.5}`,
			tree{"a": json.Number("12345678901234567890"), "b": json.Number("1.5")}},
		{"null, bool, arrays", `{"a":null,"b":true,"c":[1,"x",{"d":null}],"e":[],"f":{}}`,
			tree{"a": nil, "b": true, "c": list{json.Number("1"), "x", tree{"d": nil}}, "e": list{}, "f": tree{}}},
		{"max depth", `{"a":` + strings.Repeat(`[`, form.MaxDepth-1) + `1` + strings.Repeat(`]`, form.MaxDepth-1) + `}`,
			tree{"a": nestList(form.MaxDepth - 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := form.DecodeJSON([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func nestList(n int) any {
	var v any = json.Number("1")
	for range n {
		v = list{v}
	}
	return v
}

func TestDecodeJSONErrors(t *testing.T) {
	many := make([]string, form.MaxLeaves+1)
	for i := range many {
		many[i] = strconv.Itoa(i)
	}
	tests := []struct {
		name  string
		body  string
		param string
	}{
		{"syntax", `{"a":`, ""},
		{"array body", `[1]`, ""},
		{"string body", `"x"`, ""},
		{"null body", `null`, ""},
		{"trailing data", `{"a":1} {"b":2}`, ""},
		{"trailing garbage", `{"a":1}]`, ""},
		{"too deep", `{"a":` + strings.Repeat(`[`, form.MaxDepth) + strings.Repeat(`]`, form.MaxDepth) + `,"b":` +
			strings.Repeat(`{"x":`, form.MaxDepth) + `1` + strings.Repeat(`}`, form.MaxDepth) + `}`, "b"},
		{"too many", `{"a":[` + strings.Join(many, ",") + `]}`, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := form.DecodeJSON([]byte(tt.body))
			if err == nil {
				t.Fatalf("got %v, want error", got)
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Param != tt.param {
				t.Errorf("error = %#v, want 400 with param %q", err, tt.param)
			}
		})
	}
}
