package currencies

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	if c, ok := Lookup("JPY"); !ok || c.Code != "jpy" || !c.ZeroDecimal || c.MinimumCharge != 50 {
		t.Errorf("JPY: %+v %v", c, ok)
	}
	if c, ok := Lookup("gbp"); !ok || c.ZeroDecimal || c.MinimumCharge != 30 {
		t.Errorf("gbp: %+v %v", c, ok)
	}
	if _, ok := Lookup("zzz"); ok {
		t.Error("zzz is supported")
	}
	if MinimumCharge("huf") != 17500 || MinimumCharge("zzz") != 50 || MinimumCharge("isk") != 50 {
		t.Error("minimum charges")
	}
	if !ZeroDecimal("xof") || ZeroDecimal("usd") || ZeroDecimal("zzz") {
		t.Error("zero-decimal flags")
	}
	for code := range minimumCharge {
		if _, ok := Lookup(code); !ok {
			t.Errorf("minimum charge for unsupported %s", code)
		}
	}
	for code := range zeroDecimal {
		if _, ok := Lookup(code); !ok {
			t.Errorf("zero-decimal flag for unsupported %s", code)
		}
	}
	msg := InvalidMessage("zzz")
	if !strings.HasPrefix(msg, "Invalid currency: zzz. Stripe currently supports these currencies: usd, aed, afn, all,") ||
		!strings.HasSuffix(msg, ", ltl, sll, mro") {
		t.Errorf("message %q", msg)
	}
}
