package form_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/form"
)

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"",
		"a=1",
		"items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2",
		"limit=3&created[gte]=100&created[lt]=200&expand[0]=data.test_clock",
		"query=email%3A%27a%40b.c%27+AND+metadata%5B%27k%27%5D%3A%27v%27",
		"metadata[order_id]=",
		"metadata=",
		"a[]=x&a[]=y",
		"a[][b]=1&a[][c]=2&a[][b]=3",
		"a[][b][]=1&a[][b][]=2&a[][]=3",
		"a[7]=x&a[3]=y&a[]=z",
		"a=1&a[b]=2",
		"a[0]=1&a[b]=2",
		"a[b",
		"a]b=1",
		"[x]=1",
		"=1",
		"a%5Bb%5D=1",
		"a=%zz",
		"a[007]=x&a[0]=y",
		"a[999999999]=x&a[]=y",
		"a[b][c][d][e][f][g][h][i][j][k][l][m][n][o][p]=deep",
		"tiers[0][up_to]=inf&tiers[1][unit_amount]=0",
		// What the shared string validation refuses must still decode and
		// round-trip: NUL bytes, long values, odd currencies and URLs.
		"email=a%00b%40x.com&metadata[k%00]=v%00",
		"name=" + strings.Repeat("x", 5001) + "&lookup_key=" + strings.Repeat("k", 33000),
		"currency=zzz&currency_options[ZZZ][unit_amount]=1&line_items[0][price_data][currency]=%00",
		"success_url=javascript%3Aalert(1)&cancel_url=https%3A%2F%2Fexample.com%2F%3Fid%3D%7BCHECKOUT_SESSION_ID%7D",
		"url=data%3Atext%2Fhtml%2C%3Cscript%3E&return_url=%2F%2Fevil.example",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tree, err := form.Decode(raw)
		if err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status != 400 {
				t.Fatalf("Decode(%q) error %#v is not a 400 *apierr.Error", raw, err)
			}
		} else {
			enc := form.Encode(tree)
			again, err := form.Decode(enc)
			if err != nil {
				t.Fatalf("Decode(%q) ok, but its encoding %q fails: %v", raw, enc, err)
			}
			if !reflect.DeepEqual(tree, again) {
				t.Fatalf("Decode(%q) = %#v\nencoded %q\ndecodes to %#v", raw, tree, enc, again)
			}
			if enc2 := form.Encode(again); enc2 != enc {
				t.Fatalf("encoding is not canonical: %q then %q", enc, enc2)
			}
		}
		// The url.Values entry point must not panic either, and must only
		// fail with a Stripe error.
		if v, perr := url.ParseQuery(raw); perr == nil {
			if _, err := form.DecodeValues(v); err != nil {
				var ae *apierr.Error
				if !errors.As(err, &ae) {
					t.Fatalf("DecodeValues error %#v is not *apierr.Error", err)
				}
			}
		}
		// And neither may the JSON decoder.
		if _, err := form.DecodeJSON([]byte(raw)); err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("DecodeJSON error %#v is not *apierr.Error", err)
			}
		}
	})
}
