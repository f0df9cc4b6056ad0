package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/form"
)

// FuzzValidate decodes a form body and validates it against one of the
// spec's operations (chosen by i). Whatever arrives, Validate must answer
// either with a 400 *apierr.Error with a message, the same one twice, or
// with a tree that holds no NUL byte anywhere, keys included.
func FuzzValidate(f *testing.F) {
	index := map[string]uint16{}
	for i, op := range Operations() {
		index[op.String()] = uint16(i)
	}
	seed := func(op, body string) {
		i, ok := index[op]
		if !ok {
			f.Fatalf("no operation %s", op)
		}
		f.Add(i, body)
	}
	seed("POST /v1/customers", "email=a%40b.c&name=Jenny&metadata[order_id]=6735")
	seed("POST /v1/customers", "email=a%00b%40x.com&metadata[k%00]=v")
	seed("POST /v1/customers", "name="+strings.Repeat("n", 257))
	seed("POST /v1/customers/{customer}", "email=&description=")
	seed("POST /v1/prices", "currency=zzz&unit_amount=1&product=prod_1")
	seed("POST /v1/prices", "currency=USD&unit_amount=1&product=prod_1&currency_options[eur][unit_amount]=1&currency_options[x%00][unit_amount]=1")
	seed("POST /v1/prices", "currency=usd&unit_amount=1&product=prod_1&lookup_key="+strings.Repeat("k", 201))
	seed("POST /v1/checkout/sessions", "mode=payment&success_url=javascript%3Aalert(1)&line_items[0][price_data][currency]=zzz")
	seed("POST /v1/checkout/sessions", "mode=payment&success_url=https%3A%2F%2Fexample.com%2F%7BCHECKOUT_SESSION_ID%7D&customer_email=nope")
	seed("POST /v1/billing_portal/sessions", "customer=cus_1&return_url=%2F%2Fevil.example")
	seed("POST /v1/webhook_endpoints", "url=HTTPS%3A%2F%2FEXAMPLE.COM&enabled_events[]=*")
	seed("GET /v1/customers", "email=notanemail&limit=3")
	f.Fuzz(func(t *testing.T, i uint16, body string) {
		ops := Operations()
		op := ops[int(i)%len(ops)]
		tree, err := form.Decode(body)
		if err != nil {
			return // the form decoder's own fuzz target covers this
		}
		out, err := op.Validate(tree)
		if err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status != 400 || ae.Message == "" {
				t.Fatalf("%s %q: error %#v is not a 400 *apierr.Error with a message", op, body, err)
			}
			_, again := op.Validate(tree)
			if again == nil || again.Error() != err.Error() || again.(*apierr.Error).Param != ae.Param {
				t.Fatalf("%s %q: answered %v, then %v", op, body, err, again)
			}
			return
		}
		if path, bad := findNUL(out, ""); bad {
			t.Fatalf("%s %q: accepted a NUL byte at %s", op, body, path)
		}
	})
}

// findNUL reports the path of the first NUL byte in a validated tree.
func findNUL(v any, path string) (string, bool) {
	switch x := v.(type) {
	case string:
		return path, strings.IndexByte(x, 0) >= 0
	case map[string]any:
		for k, el := range x {
			if strings.IndexByte(k, 0) >= 0 {
				return child(path, k), true
			}
			if p, bad := findNUL(el, child(path, k)); bad {
				return p, true
			}
		}
	case []any:
		for _, el := range x {
			if p, bad := findNUL(el, path+"[]"); bad {
				return p, true
			}
		}
	}
	return "", false
}
