package resources

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The copies walk types by reflection, so these tests fill every exported
// field of the stored kinds a renewal touches (whatever fields they gain
// later), copy, and check the copy equals what encoding/json gives and
// shares nothing with its source.

func cloneTestValues() []any {
	return []any{&Subscription{}, &Invoice{}, &Customer{}, &Price{}, &PaymentIntent{}, &Charge{}}
}

// fill sets every exported field reachable from v: pointers and
// interfaces non-nil, slices and maps with two elements, or (empty) all of
// them empty but not nil.
func fill(v reflect.Value, n *int, empty bool, depth int) {
	*n++
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 6 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n, empty, depth+1)
		v.Set(p)
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()).fields {
			fill(v.Field(f.index), n, empty, depth+1)
		}
	case reflect.Slice:
		if depth > 6 {
			return
		}
		k := 2
		if empty {
			k = 0
		}
		s := reflect.MakeSlice(v.Type(), k, k)
		for i := range k {
			fill(s.Index(i), n, empty, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		if !empty && depth <= 6 {
			for i := range 2 {
				k := reflect.New(v.Type().Key()).Elem()
				fill(k, n, empty, depth+1)
				if k.Kind() == reflect.String {
					k.SetString(k.String() + string(rune('a'+i)))
				}
				e := reflect.New(v.Type().Elem()).Elem()
				fill(e, n, empty, depth+1)
				m.SetMapIndex(k, e)
			}
		}
		v.Set(m)
	case reflect.Interface:
		if empty {
			v.Set(reflect.ValueOf([]any{}))
			return
		}
		v.Set(reflect.ValueOf(map[string]any{"s": "x", "n": float64(*n), "l": []any{"y", true, nil}, "m": map[string]any{"k": 1.5}}))
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	}
}

// mutate changes everything reachable from v in place.
func mutate(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem())
		}
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()).fields {
			mutate(v.Field(f.index))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			mutate(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			mutate(e)
			v.SetMapIndex(k, e)
		}
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		e := reflect.New(v.Elem().Type()).Elem()
		e.Set(v.Elem())
		mutate(e)
		if e.Kind() == reflect.Map || e.Kind() == reflect.Slice || e.Kind() == reflect.Pointer {
			return // changed in place
		}
		v.Set(e)
	case reflect.String:
		v.SetString(v.String() + "!")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 1)
	}
}

func roundTripped(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := reflect.New(reflect.TypeOf(v).Elem())
	if err := json.Unmarshal(raw, out.Interface()); err != nil {
		t.Fatal(err)
	}
	return out.Interface()
}

func TestJSONCloneIsARoundTrip(t *testing.T) {
	for _, proto := range cloneTestValues() {
		for _, empty := range []bool{false, true} {
			v := reflect.New(reflect.TypeOf(proto).Elem())
			n := 0
			fill(v.Elem(), &n, empty, 0)
			want := roundTripped(t, v.Interface())
			got := reflect.New(v.Type().Elem())
			jsonCloneInto(got.Elem(), v.Elem())
			if !reflect.DeepEqual(got.Interface(), want) {
				t.Fatalf("%T (empty %v): jsonClone differs from a JSON round trip:\n got %#v\nwant %#v", proto, empty, got.Elem().Interface(), reflect.ValueOf(want).Elem().Interface())
			}
			// Deep: changing the clone leaves the source as it was.
			mutate(got.Elem())
			if again := roundTripped(t, v.Interface()); !reflect.DeepEqual(again, want) {
				t.Fatalf("%T (empty %v): changing the clone changed its source", proto, empty)
			}
			if reflect.DeepEqual(got.Interface(), want) && !empty {
				t.Fatalf("%T: mutate changed nothing; the test tests nothing", proto)
			}
		}
	}
	// cloneSubscription is jsonClone, with a price that renders less than it holds.
	s := &Subscription{Items: SubscriptionItemList{Data: []*SubscriptionItem{{Price: &Price{ID: "price_1", Tiers: []PriceTier{{}}, TrialPeriodDays: new(int64(3))}}}}}
	// Values decoding never gives, where only encoding/json knows the answer.
	s.PendingUpdate = map[string]any{"n": int64(5), "t": []string{"a"}, "nil": map[string]any(nil)}
	s.BillingThresholds = struct{ A int }{3}
	s.Metadata = map[string]string{"bad": "\xff"}
	s.AutomaticTax = map[string]any{}
	if got, want := cloneSubscription(s), roundTripped(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("cloneSubscription = %#v, want %#v", got.Items.Data[0].Price, want.(*Subscription).Items.Data[0].Price)
	}
}

func TestDecodedCopyIsDeep(t *testing.T) {
	for _, proto := range cloneTestValues() {
		if !decodedCopyable(reflect.TypeOf(proto)) {
			t.Fatalf("%T: not copyable: loads would always decode", proto)
		}
		for _, empty := range []bool{false, true} {
			v := reflect.New(reflect.TypeOf(proto).Elem())
			n := 0
			fill(v.Elem(), &n, empty, 0)
			decoded := roundTripped(t, v.Interface())
			cp := reflect.New(v.Type().Elem())
			decodedCopy(cp.Elem(), reflect.ValueOf(decoded).Elem())
			if !reflect.DeepEqual(cp.Interface(), decoded) {
				t.Fatalf("%T (empty %v): copy differs:\n got %#v\nwant %#v", proto, empty, cp.Elem().Interface(), reflect.ValueOf(decoded).Elem().Interface())
			}
			mutate(cp.Elem())
			if want := roundTripped(t, v.Interface()); !reflect.DeepEqual(decoded, want) {
				t.Fatalf("%T (empty %v): changing the copy changed its source", proto, empty)
			}
			if reflect.DeepEqual(cp.Interface(), decoded) && !empty {
				t.Fatalf("%T: mutate changed nothing; the test tests nothing", proto)
			}
		}
	}
}
