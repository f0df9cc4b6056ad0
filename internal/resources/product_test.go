package resources_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// catalogAll drains a list or search iterator, stopping at the first error.
func catalogAll[T any](seq stripe.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// catalogProduct creates a product named name or fails the test.
func catalogProduct(t *testing.T, sc *stripe.Client, name string) *stripe.Product {
	t.Helper()
	pr, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String(name)})
	if err != nil {
		t.Fatalf("create product %q: %v", name, err)
	}
	return pr
}

// catalogPrice creates a one-time usd price of amount for product or fails
// the test.
func catalogPrice(t *testing.T, sc *stripe.Client, product string, amount int64) *stripe.Price {
	t.Helper()
	pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Product: stripe.String(product), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(amount),
	})
	if err != nil {
		t.Fatalf("create price: %v", err)
	}
	return pr
}

func TestProductCreateRetrieveUpdateDelete(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{
			Name:                stripe.String("T-shirt"),
			Description:         stripe.String("Comfortable cotton"),
			Images:              []*string{stripe.String("https://example.com/a.png")},
			MarketingFeatures:   []*stripe.ProductCreateMarketingFeatureParams{{Name: stripe.String("Soft")}},
			PackageDimensions:   &stripe.ProductCreatePackageDimensionsParams{Height: stripe.Float64(1.5), Length: stripe.Float64(2), Weight: stripe.Float64(3), Width: stripe.Float64(4)},
			Shippable:           stripe.Bool(true),
			StatementDescriptor: stripe.String("TSHIRT"),
			TaxCode:             stripe.String("txcd_99999999"),
			UnitLabel:           stripe.String("shirt"),
			URL:                 stripe.String("https://example.com/tshirt"),
			Metadata:            map[string]string{"sku": "ts-1", "color": "gray"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pr.ID, "prod_") || len(pr.ID) != len("prod_")+14 {
			t.Errorf("id %q", pr.ID)
		}
		if !pr.Active || pr.Name != "T-shirt" || pr.Description != "Comfortable cotton" || !pr.Shippable || pr.UnitLabel != "shirt" ||
			pr.URL != "https://example.com/tshirt" || pr.StatementDescriptor != "TSHIRT" || pr.TaxCode.ID != "txcd_99999999" {
			t.Errorf("created %+v", pr)
		}
		if len(pr.Images) != 1 || len(pr.MarketingFeatures) != 1 || pr.MarketingFeatures[0].Name != "Soft" || pr.PackageDimensions.Height != 1.5 {
			t.Errorf("arrays/dimensions %+v %+v %+v", pr.Images, pr.MarketingFeatures, pr.PackageDimensions)
		}
		if pr.Created != f.Now().Unix() || pr.Updated != pr.Created || pr.DefaultPrice != nil || pr.Metadata["sku"] != "ts-1" {
			t.Errorf("created=%d updated=%d default_price=%v metadata=%v", pr.Created, pr.Updated, pr.DefaultPrice, pr.Metadata)
		}

		got, err := sc.V1Products.Retrieve(ctx, pr.ID, nil)
		if err != nil || got.Name != "T-shirt" || got.Metadata["color"] != "gray" {
			t.Fatalf("retrieve: %v %+v", err, got)
		}

		f.Advance(time.Minute)
		up := &stripe.ProductUpdateParams{Name: stripe.String("Tee"), Active: stripe.Bool(false)}
		up.AddMetadata("color", "")
		up.AddUnsetField(stripe.ProductUpdateParamsUnsetFieldDescription)
		up.AddUnsetField(stripe.ProductUpdateParamsUnsetFieldPackageDimensions)
		up.AddUnsetField(stripe.ProductUpdateParamsUnsetFieldImages)
		updated, err := sc.V1Products.Update(ctx, pr.ID, up)
		if err != nil {
			t.Fatal(err)
		}
		if updated.Name != "Tee" || updated.Active || updated.Description != "" || updated.PackageDimensions != nil || len(updated.Images) != 0 {
			t.Errorf("updated %+v", updated)
		}
		if _, ok := updated.Metadata["color"]; ok || updated.Metadata["sku"] != "ts-1" {
			t.Errorf("metadata %v", updated.Metadata)
		}
		if updated.Updated != f.Now().Unix() || updated.Created != pr.Created {
			t.Errorf("updated=%d created=%d now=%d", updated.Updated, updated.Created, f.Now().Unix())
		}

		del, err := sc.V1Products.Delete(ctx, pr.ID, nil)
		if err != nil || !del.Deleted || del.ID != pr.ID {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = sc.V1Products.Retrieve(ctx, pr.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such product: '"+pr.ID+"'")
		_, err = sc.V1Products.Update(ctx, pr.ID, &stripe.ProductUpdateParams{Name: stripe.String("x")})
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "")
		_, err = sc.V1Products.Delete(ctx, pr.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "")

		if got, want := eventTypes(f), []string{"product.created", "product.updated", "product.deleted"}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		prev := f.Events()[1].PreviousAttributes
		if prev["name"] != "T-shirt" || prev["active"] != true || prev["description"] != "Comfortable cotton" || prev["updated"] == nil {
			t.Errorf("previous_attributes %v", prev)
		}
		if md, _ := prev["metadata"].(map[string]any); len(md) != 1 || md["color"] != "gray" {
			t.Errorf("previous_attributes.metadata %v", prev["metadata"])
		}
	})
}

func TestProductCustomID(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{ID: stripe.String("gold plan/1"), Name: stripe.String("Gold")})
		if err != nil || pr.ID != "gold plan/1" {
			t.Fatalf("custom id: %v %+v", err, pr)
		}
		if got, err := sc.V1Products.Retrieve(ctx, "gold plan/1", nil); err != nil || got.Name != "Gold" {
			t.Fatalf("retrieve custom id: %v %+v", err, got)
		}
		_, err = sc.V1Products.Create(ctx, &stripe.ProductCreateParams{ID: stripe.String("gold plan/1"), Name: stripe.String("Again")})
		stripeErr(t, err, http.StatusBadRequest, "resource_already_exists", "id", "Product already exists.")
		if got, _ := sc.V1Products.Retrieve(ctx, "gold plan/1", nil); got.Name != "Gold" {
			t.Errorf("duplicate create changed the product: %+v", got)
		}
		// A deleted product's ID can be used again.
		if _, err := sc.V1Products.Delete(ctx, "gold plan/1", nil); err != nil {
			t.Fatal(err)
		}
		again, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{ID: stripe.String("gold plan/1"), Name: stripe.String("Gold 2")})
		if err != nil || again.Name != "Gold 2" || again.Deleted {
			t.Fatalf("recreate: %v %+v", err, again)
		}
	})
}

func TestProductDefaultPriceData(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		params := &stripe.ProductCreateParams{
			Name: stripe.String("Pro"),
			DefaultPriceData: &stripe.ProductCreateDefaultPriceDataParams{
				Currency: stripe.String("EUR"), UnitAmount: stripe.Int64(1500),
				Recurring: &stripe.ProductCreateDefaultPriceDataRecurringParams{Interval: stripe.String("month"), IntervalCount: stripe.Int64(3)},
			},
		}
		params.AddExpand("default_price")
		pr, err := sc.V1Products.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		dp := pr.DefaultPrice
		if dp == nil || !strings.HasPrefix(dp.ID, "price_") || dp.Product.ID != pr.ID || dp.Currency != "eur" || dp.UnitAmount != 1500 ||
			dp.Type != stripe.PriceTypeRecurring || dp.Recurring.IntervalCount != 3 || dp.Recurring.UsageType != stripe.PriceRecurringUsageTypeLicensed {
			t.Fatalf("default price %+v", dp)
		}
		price, err := sc.V1Prices.Retrieve(ctx, dp.ID, nil)
		if err != nil || price.Product.ID != pr.ID {
			t.Fatalf("retrieve default price: %v %+v", err, price)
		}
		want := []string{"product.created", "price.created", "plan.created"}
		if got := eventTypes(f); !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

func TestProductDefaultPrice(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		a := catalogProduct(t, sc, "A")
		b := catalogProduct(t, sc, "B")
		pa := catalogPrice(t, sc, a.ID, 100)
		pb := catalogPrice(t, sc, b.ID, 200)
		events := len(f.Events())

		_, err := sc.V1Products.Update(ctx, a.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(pb.ID)})
		stripeErr(t, err, http.StatusBadRequest, "", "default_price", "")
		_, err = sc.V1Products.Update(ctx, a.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String("price_nope")})
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "default_price", "No such price: 'price_nope'")
		if len(f.Events()) != events {
			t.Fatalf("failed updates wrote events")
		}

		up := &stripe.ProductUpdateParams{DefaultPrice: stripe.String(pa.ID)}
		up.AddExpand("default_price")
		got, err := sc.V1Products.Update(ctx, a.ID, up)
		if err != nil || got.DefaultPrice == nil || got.DefaultPrice.ID != pa.ID || got.DefaultPrice.UnitAmount != 100 {
			t.Fatalf("set default price: %v %+v", err, got)
		}
		last := f.Events()[len(f.Events())-1]
		if last.Type != "product.updated" || last.PreviousAttributes["default_price"] != nil {
			t.Errorf("event %s prev %v", last.Type, last.PreviousAttributes)
		}
		if _, ok := last.PreviousAttributes["default_price"]; !ok {
			t.Errorf("previous_attributes lacks default_price: %v", last.PreviousAttributes)
		}

		// The default price cannot be archived, and an archived price cannot
		// become the default.
		_, err = sc.V1Prices.Update(ctx, pa.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)})
		stripeErr(t, err, http.StatusBadRequest, "", "active", "")
		if _, err := sc.V1Prices.Update(ctx, pb.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		pb2 := catalogPrice(t, sc, b.ID, 300)
		_, err = sc.V1Products.Update(ctx, b.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(pb.ID)})
		stripeErr(t, err, http.StatusBadRequest, "", "default_price", "")
		if _, err := sc.V1Products.Update(ctx, b.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(pb2.ID)}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestProductDeleteWithPricesIsRefused(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := catalogProduct(t, sc, "Has prices")
		price := catalogPrice(t, sc, pr.ID, 100)
		// Archiving the price does not help: it still exists.
		if _, err := sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		events := len(f.Events())
		_, err := sc.V1Products.Delete(ctx, pr.ID, nil)
		stripeErr(t, err, http.StatusBadRequest, "", "", "This product cannot be deleted because it has one or more user-created prices.")
		if got, err := sc.V1Products.Retrieve(ctx, pr.ID, nil); err != nil || got.Deleted {
			t.Fatalf("product after refused delete: %v %+v", err, got)
		}
		if len(f.Events()) != events {
			t.Errorf("refused delete wrote events")
		}
	})
}

func TestProductBadInputChangesNothing(t *testing.T) {
	nine := make([]*string, 9)
	for i := range nine {
		nine[i] = stripe.String(fmt.Sprintf("https://example.com/%d.png", i))
	}
	cases := []struct {
		name   string
		params *stripe.ProductCreateParams
		code   stripe.ErrorCode
		param  string
		msg    string
	}{
		{"missing name", &stripe.ProductCreateParams{}, "parameter_missing", "name", "Missing required param: name."},
		{"empty name", &stripe.ProductCreateParams{Name: stripe.String("")}, "parameter_invalid_empty", "name", ""},
		{"unknown param", &stripe.ProductCreateParams{Name: stripe.String("x"), Type: stripe.String("good")}, "parameter_unknown", "type", "Received unknown parameter: type"},
		{"too many images", &stripe.ProductCreateParams{Name: stripe.String("x"), Images: nine}, "", "images", ""},
		{"bad statement descriptor", &stripe.ProductCreateParams{Name: stripe.String("x"), StatementDescriptor: stripe.String(`a<b`)}, "", "statement_descriptor", ""},
		{"default price without currency", &stripe.ProductCreateParams{Name: stripe.String("x"), DefaultPriceData: &stripe.ProductCreateDefaultPriceDataParams{UnitAmount: stripe.Int64(1)}}, "parameter_missing", "default_price_data[currency]", "Missing required param: default_price_data[currency]."},
		{"default price without amount", &stripe.ProductCreateParams{Name: stripe.String("x"), DefaultPriceData: &stripe.ProductCreateDefaultPriceDataParams{Currency: stripe.String("usd")}}, "parameter_missing", "default_price_data[unit_amount]", ""},
		{"default price with a 4-year interval", &stripe.ProductCreateParams{Name: stripe.String("x"), DefaultPriceData: &stripe.ProductCreateDefaultPriceDataParams{
			Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1),
			Recurring: &stripe.ProductCreateDefaultPriceDataRecurringParams{Interval: stripe.String("year"), IntervalCount: stripe.Int64(4)},
		}}, "", "default_price_data[recurring][interval_count]", ""},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := sc.V1Products.Create(ctx, tc.params)
				stripeErr(t, err, http.StatusBadRequest, tc.code, tc.param, tc.msg)
			})
		}
		if n := len(f.Events()); n != 0 {
			t.Errorf("failed creates wrote %d events", n)
		}
		products, err := catalogAll(sc.V1Products.List(ctx, &stripe.ProductListParams{}).All(ctx))
		if err != nil || len(products) != 0 {
			t.Errorf("failed creates left products: %v %d", err, len(products))
		}
		prices, err := catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{}).All(ctx))
		if err != nil || len(prices) != 0 {
			t.Errorf("failed creates left prices: %v %d", err, len(prices))
		}
		// Updates that fail change nothing either.
		pr := catalogProduct(t, sc, "Keep")
		up := &stripe.ProductUpdateParams{Description: stripe.String("new"), Name: stripe.String("")}
		_, err = sc.V1Products.Update(ctx, pr.ID, up)
		stripeErr(t, err, http.StatusBadRequest, "parameter_invalid_empty", "name", "")
		if got, _ := sc.V1Products.Retrieve(ctx, pr.ID, nil); got.Name != "Keep" || got.Description != "" {
			t.Errorf("failed update changed the product: %+v", got)
		}
	})
}

func TestProductList(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		var created []string
		for i := range 23 {
			params := &stripe.ProductCreateParams{
				Name:      stripe.String(fmt.Sprintf("p%02d", i)),
				Active:    stripe.Bool(i%2 == 0),
				Shippable: stripe.Bool(i%3 == 0),
			}
			if i%5 == 0 {
				params.URL = stripe.String("https://example.com/five")
			}
			pr, err := sc.V1Products.Create(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, pr.ID)
			if i == 14 {
				f.Advance(time.Second)
			}
		}
		list := func(params *stripe.ProductListParams) []string {
			t.Helper()
			return ids(t, sc.V1Products.List(ctx, params).All(ctx))
		}
		// Auto-pagination over pages of 10; newest first, same-second ties
		// newest inserted first.
		all := list(&stripe.ProductListParams{})
		if len(all) != 23 {
			t.Fatalf("listed %d", len(all))
		}
		for i, id := range all {
			if id != created[22-i] {
				t.Fatalf("order at %d: %s, want %s", i, id, created[22-i])
			}
		}
		pick := func(keep func(i int) bool) []string {
			var out []string
			for i := len(created) - 1; i >= 0; i-- {
				if keep(i) {
					out = append(out, created[i])
				}
			}
			return out
		}
		since := f.Now().Unix()
		cases := []struct {
			name   string
			params *stripe.ProductListParams
			want   []string
		}{
			{"active", &stripe.ProductListParams{Active: stripe.Bool(true)}, pick(func(i int) bool { return i%2 == 0 })},
			{"inactive", &stripe.ProductListParams{Active: stripe.Bool(false)}, pick(func(i int) bool { return i%2 == 1 })},
			{"shippable", &stripe.ProductListParams{Shippable: stripe.Bool(true)}, pick(func(i int) bool { return i%3 == 0 })},
			{"url", &stripe.ProductListParams{URL: stripe.String("https://example.com/five")}, pick(func(i int) bool { return i%5 == 0 })},
			{"ids", &stripe.ProductListParams{IDs: []*string{stripe.String(created[3]), stripe.String(created[20]), stripe.String("prod_nope")}}, []string{created[20], created[3]}},
			{"created gte", &stripe.ProductListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since}}, pick(func(i int) bool { return i > 14 })},
			{"created exact", &stripe.ProductListParams{Created: stripe.Int64(since - 1)}, pick(func(i int) bool { return i <= 14 })},
			{"active and shippable", &stripe.ProductListParams{Active: stripe.Bool(true), Shippable: stripe.Bool(true)}, pick(func(i int) bool { return i%6 == 0 })},
		}
		for _, tc := range cases {
			if got := list(tc.params); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		// One explicit page: has_more and the cursor.
		pg := sc.V1Products.List(ctx, &stripe.ProductListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(5), StartingAfter: stripe.String(created[10])}})
		var got []string
		for pr, err := range pg.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, pr.ID)
			if len(got) == 5 {
				break
			}
		}
		if !slices.Equal(got, []string{created[9], created[8], created[7], created[6], created[5]}) {
			t.Errorf("starting_after page %v", got)
		}
		_, err := catalogAll(sc.V1Products.List(ctx, &stripe.ProductListParams{ListParams: stripe.ListParams{StartingAfter: stripe.String("prod_nope")}}).All(ctx))
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "starting_after", "No such product: 'prod_nope'")
	})
}

func TestProductSearch(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for i, name := range []string{"Gold plan", "Silver plan", "Bronze badge"} {
			_, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{
				Name:        stripe.String(name),
				Description: stripe.String(fmt.Sprintf("tier %d", i)),
				Active:      stripe.Bool(i != 1),
				Shippable:   stripe.Bool(i == 2),
				URL:         stripe.String(fmt.Sprintf("https://example.com/%d", i)),
				Metadata:    map[string]string{"family": []string{"metal", "metal", "badge"}[i]},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		search := func(q string) []string {
			t.Helper()
			var names []string
			for pr, err := range sc.V1Products.Search(ctx, &stripe.ProductSearchParams{SearchParams: stripe.SearchParams{Query: q, Limit: stripe.Int64(1)}}).All(ctx) {
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				names = append(names, pr.Name)
			}
			return names
		}
		cases := []struct{ query, want string }{
			{`active:"true"`, "Bronze badge,Gold plan"},
			{`active:"false"`, "Silver plan"},
			{`shippable:"true"`, "Bronze badge"},
			{`name~"plan"`, "Silver plan,Gold plan"},
			{`description:"tier 1"`, "Silver plan"},
			{`url:"https://example.com/0"`, "Gold plan"},
			{`metadata["family"]:"metal" AND active:"true"`, "Gold plan"},
			{`-metadata["family"]:"metal"`, "Bronze badge"},
		}
		for _, tc := range cases {
			if got := strings.Join(search(tc.query), ","); got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.query, got, tc.want)
			}
		}
		_, err := catalogAll(sc.V1Products.Search(ctx, &stripe.ProductSearchParams{SearchParams: stripe.SearchParams{Query: `currency:"usd"`}}).All(ctx))
		stripeErr(t, err, http.StatusBadRequest, "", "query", "")
	})
}
