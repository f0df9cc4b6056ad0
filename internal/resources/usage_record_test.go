package resources_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	stripe76 "github.com/stripe/stripe-go/v76"
	client76 "github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// TestV76UsageRecords reports usage records on a legacy metered price of
// each aggregate_usage at 2023-10-16 and checks the amount billed in
// arrears at the period's end, the summaries, and last_ever's carry-over
// into the next period.
func TestV76UsageRecords(t *testing.T) {
	// Records: day 1: 5; day 2: 3 then +4 (7 at that timestamp); day 3:
	// set 2. At $1 a unit.
	cases := []struct {
		aggregate  string
		first      int64 // usage billed for the first period
		nextPeriod int64 // usage of the next period, without new records
	}{
		{"sum", 14, 0},
		{"last_during_period", 2, 0},
		{"max", 7, 0},
		{"last_ever", 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.aggregate, func(t *testing.T) {
			eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
				clock, cu := clockCustomer76(t, sc)
				prod := must76(sc.Products.New(&stripe76.ProductParams{Name: stripe76.String("API calls")}))(t)
				price := must76(sc.Prices.New(&stripe76.PriceParams{
					Currency: stripe76.String("usd"), Product: stripe76.String(prod.ID), UnitAmount: stripe76.Int64(100),
					Recurring: &stripe76.PriceRecurringParams{
						Interval: stripe76.String("month"), UsageType: stripe76.String("metered"),
						AggregateUsage: stripe76.String(tc.aggregate),
					},
				}))(t)
				if string(price.Recurring.AggregateUsage) != tc.aggregate || price.Recurring.UsageType != "metered" {
					t.Fatalf("price recurring: %+v", price.Recurring)
				}
				sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
					Customer: stripe76.String(cu.ID), Items: []*stripe76.SubscriptionItemsParams{{Price: stripe76.String(price.ID)}},
				}))(t)
				item := sub.Items.Data[0].ID
				day := func(n int) int64 { return testfake.Start.AddDate(0, 0, n).Unix() }
				advanceClock76(t, sc, clock.ID, time.Unix(day(4), 0))
				report := func(ts int64, q int64, action string) *stripe76.UsageRecord {
					t.Helper()
					p := &stripe76.UsageRecordParams{SubscriptionItem: stripe76.String(item), Quantity: stripe76.Int64(q), Timestamp: stripe76.Int64(ts)}
					if action != "" {
						p.Action = stripe76.String(action)
					}
					return must76(sc.UsageRecords.New(p))(t)
				}
				r := report(day(1), 5, "")
				if r.Quantity != 5 || r.SubscriptionItem != item || r.Timestamp != day(1) || !strings.HasPrefix(r.ID, "mbur_") {
					t.Errorf("usage record: %+v", r)
				}
				report(day(2), 3, "increment")
				report(day(2), 4, "")
				report(day(3), 2, "set")
				// Outside the period, or in the future: refused.
				for _, ts := range []int64{day(-1), day(5)} {
					_, err := sc.UsageRecords.New(&stripe76.UsageRecordParams{SubscriptionItem: stripe76.String(item), Quantity: stripe76.Int64(1), Timestamp: stripe76.Int64(ts)})
					if se, ok := err.(*stripe76.Error); !ok || se.HTTPStatusCode != 400 || se.Param != "timestamp" {
						t.Errorf("timestamp %d: %v", ts, err)
					}
				}
				sums := sc.UsageRecordSummaries.List(&stripe76.UsageRecordSummaryListParams{SubscriptionItem: stripe76.String(item)})
				var got []*stripe76.UsageRecordSummary
				for sums.Next() {
					got = append(got, sums.UsageRecordSummary())
				}
				if err := sums.Err(); err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].TotalUsage != tc.first || got[0].Invoice != "" || got[0].Period.Start != testfake.Start.Unix() {
					t.Errorf("summaries before the period ends: %+v", got)
				}

				// The period ends: the usage is billed in arrears.
				next := testfake.Start.AddDate(0, 1, 0).Add(2 * time.Hour)
				advanceClock76(t, sc, clock.ID, next)
				s := must76(sc.Subscriptions.Get(sub.ID, &stripe76.SubscriptionParams{Params: stripe76.Params{Expand: []*string{stripe76.String("latest_invoice")}}}))(t)
				inv := s.LatestInvoice
				if inv == nil || inv.BillingReason != "subscription_cycle" || inv.Total != tc.first*100 || len(inv.Lines.Data) != 1 ||
					inv.Lines.Data[0].Quantity != tc.first || inv.Lines.Data[0].Period.End != testfake.Start.AddDate(0, 1, 0).Unix() {
					l := inv.Lines.Data[0]
					t.Fatalf("cycle invoice: due %d total %d lines %d: q %d amount %d period %d..%d", inv.AmountDue, inv.Total, len(inv.Lines.Data), l.Quantity, l.Amount, l.Period.Start, l.Period.End)
				}
				sums = sc.UsageRecordSummaries.List(&stripe76.UsageRecordSummaryListParams{SubscriptionItem: stripe76.String(item)})
				got = nil
				for sums.Next() {
					got = append(got, sums.UsageRecordSummary())
				}
				if len(got) != 2 || got[0].Invoice != "" || got[0].TotalUsage != tc.nextPeriod ||
					got[1].Invoice != inv.ID || got[1].TotalUsage != tc.first {
					t.Errorf("summaries after the period: %+v", got)
				}

			})
		})
	}
}

// TestUsageRecordsGoneAtBasil: from basil on the legacy routes are missing
// routes, and aggregate_usage is an unknown parameter.
func TestUsageRecordsGoneAtBasil(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, _ *stripe.Client) {
		for _, version := range []string{"2025-03-31.basil", "2026-03-25.dahlia"} {
			for _, c := range []struct{ method, path string }{
				{"POST", "/v1/subscription_items/si_123/usage_records"},
				{"GET", "/v1/subscription_items/si_123/usage_record_summaries"},
			} {
				status, body := rawAt(t, f, version, c.method, c.path, url.Values{"quantity": {"1"}})
				want := "Unrecognized request URL (" + c.method + ": " + c.path + ")"
				if status != 404 || !strings.Contains(body, want) {
					t.Errorf("%s %s at %s: %d %s", c.method, c.path, version, status, body)
				}
			}
			status, body := rawAt(t, f, version, "POST", "/v1/prices", url.Values{
				"currency": {"usd"}, "unit_amount": {"1"}, "product_data[name]": {"x"},
				"recurring[interval]": {"month"}, "recurring[usage_type]": {"metered"}, "recurring[aggregate_usage]": {"sum"},
			})
			if status != 400 || !strings.Contains(body, "Received unknown parameter: recurring[aggregate_usage]") {
				t.Errorf("aggregate_usage at %s: %d %s", version, status, body)
			}
		}
		// Before basil the same path is served (a 404 naming the item).
		status, body := rawAt(t, f, "2023-10-16", "POST", "/v1/subscription_items/si_123/usage_records", url.Values{"quantity": {"1"}})
		if status != 404 || !strings.Contains(body, "No such subscription item") && !strings.Contains(body, "si_123") {
			t.Errorf("at 2023-10-16: %d %s", status, body)
		}
	})
}

// rawAt makes one request at Stripe-Version version and returns the status
// and body, whatever they are.
func rawAt(t *testing.T, f *fake.Fake, version, method, path string, form url.Values) (int, string) {
	t.Helper()
	target, body := f.URL()+path, strings.NewReader(form.Encode())
	if method == "GET" && len(form) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		target, body = target+sep+form.Encode(), strings.NewReader("")
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_usage")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if version != "" { // else the account's default
		req.Header.Set("Stripe-Version", version)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestV76UsageBilledOnInvoiceNowCancel: canceling with invoice_now bills the
// un-invoiced usage of the current period on the final invoice, as Stripe
// documents for invoice_now ("invoices for any un-invoiced metered usage",
// https://docs.stripe.com/api/subscriptions/cancel?api-version=2023-10-16).
func TestV76UsageBilledOnInvoiceNowCancel(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		clock, cu := clockCustomer76(t, sc)
		price := must76(sc.Prices.New(&stripe76.PriceParams{
			Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(25),
			ProductData: &stripe76.PriceProductDataParams{Name: stripe76.String("Seats")},
			Recurring: &stripe76.PriceRecurringParams{
				Interval: stripe76.String("month"), UsageType: stripe76.String("metered"),
				AggregateUsage: stripe76.String("sum"),
			},
		}))(t)
		sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID), Items: []*stripe76.SubscriptionItemsParams{{Price: stripe76.String(price.ID)}},
		}))(t)
		day10 := testfake.Start.AddDate(0, 0, 10).Unix()
		advanceClock76(t, sc, clock.ID, time.Unix(day10, 0))
		must76(sc.UsageRecords.New(&stripe76.UsageRecordParams{SubscriptionItem: stripe76.String(sub.Items.Data[0].ID), Quantity: stripe76.Int64(40), Timestamp: stripe76.Int64(day10 - 3600)}))(t)

		canceled := must76(sc.Subscriptions.Cancel(sub.ID, &stripe76.SubscriptionCancelParams{
			InvoiceNow: stripe76.Bool(true), Params: stripe76.Params{Expand: []*string{stripe76.String("latest_invoice")}},
		}))(t)
		inv := canceled.LatestInvoice
		if canceled.Status != "canceled" || inv == nil || inv.ID == sub.LatestInvoice.ID {
			t.Fatalf("cancel: status %s, latest invoice %+v", canceled.Status, inv)
		}
		if inv.Total != 40*25 || len(inv.Lines.Data) != 1 || inv.Lines.Data[0].Quantity != 40 ||
			inv.Lines.Data[0].Period.End != day10 || inv.Lines.Data[0].Period.Start != testfake.Start.Unix() {
			t.Errorf("final invoice: total %d, lines %d", inv.Total, len(inv.Lines.Data))
			for _, l := range inv.Lines.Data {
				t.Errorf("  line q %d amount %d period %d..%d", l.Quantity, l.Amount, l.Period.Start, l.Period.End)
			}
		}
		sums := sc.UsageRecordSummaries.List(&stripe76.UsageRecordSummaryListParams{SubscriptionItem: stripe76.String(sub.Items.Data[0].ID)})
		var got []*stripe76.UsageRecordSummary
		for sums.Next() {
			got = append(got, sums.UsageRecordSummary())
		}
		if len(got) != 1 || got[0].Invoice != inv.ID || got[0].TotalUsage != 40 {
			t.Errorf("summaries after invoice_now: %+v", got)
		}
	})
}

// TestV76DeleteMeteredItemClearUsage: in classic mode (2023-10-16) a
// metered item is deleted only with clear_usage=true, which discards its
// usage; flexible mode (dahlia's default) refuses the parameter.
func TestV76DeleteMeteredItemClearUsage(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		metered := must76(sc.Prices.New(&stripe76.PriceParams{
			Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(10),
			ProductData: &stripe76.PriceProductDataParams{Name: stripe76.String("Calls")},
			Recurring:   &stripe76.PriceRecurringParams{Interval: stripe76.String("month"), UsageType: stripe76.String("metered")},
		}))(t)
		flat := must76(sc.Prices.New(&stripe76.PriceParams{
			Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(500),
			ProductData: &stripe76.PriceProductDataParams{Name: stripe76.String("Base")},
			Recurring:   &stripe76.PriceRecurringParams{Interval: stripe76.String("month")},
		}))(t)
		sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID),
			Items:    []*stripe76.SubscriptionItemsParams{{Price: stripe76.String(flat.ID)}, {Price: stripe76.String(metered.ID)}},
		}))(t)
		var meteredItem, flatItem string
		for _, it := range sub.Items.Data {
			if it.Price.ID == metered.ID {
				meteredItem = it.ID
			} else {
				flatItem = it.ID
			}
		}
		must76(sc.UsageRecords.New(&stripe76.UsageRecordParams{SubscriptionItem: stripe76.String(meteredItem), Quantity: stripe76.Int64(7)}))(t)

		_, err := sc.SubscriptionItems.Del(meteredItem, nil)
		if se, ok := err.(*stripe76.Error); !ok || se.HTTPStatusCode != 400 || !strings.Contains(se.Msg, "setting `clear_usage=true`") {
			t.Fatalf("delete without clear_usage: %v", err)
		}
		_, err = sc.SubscriptionItems.Del(flatItem, &stripe76.SubscriptionItemParams{ClearUsage: stripe76.Bool(true)})
		if se, ok := err.(*stripe76.Error); !ok || se.HTTPStatusCode != 400 || se.Param != "clear_usage" {
			t.Fatalf("clear_usage on a licensed item: %v", err)
		}
		del := must76(sc.SubscriptionItems.Del(meteredItem, &stripe76.SubscriptionItemParams{ClearUsage: stripe76.Bool(true)}))(t)
		if !del.Deleted || del.ID != meteredItem {
			t.Fatalf("deleted: %+v", del)
		}
		got := must76(sc.Subscriptions.Get(sub.ID, nil))(t)
		if len(got.Items.Data) != 1 || got.Items.Data[0].ID != flatItem {
			t.Errorf("items after delete: %d", len(got.Items.Data))
		}

		// Flexible billing mode refuses clear_usage.
		flex := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID),
			Items:    []*stripe76.SubscriptionItemsParams{{Price: stripe76.String(flat.ID)}, {Price: stripe76.String(metered.ID)}},
			Params:   stripe76.Params{Extra: &stripe76.ExtraValues{Values: url.Values{"billing_mode[type]": {"flexible"}}}},
		}))(t)
		refused := 0
		for _, it := range flex.Items.Data {
			if it.Price.ID != metered.ID {
				continue
			}
			refused++
			_, err := sc.SubscriptionItems.Del(it.ID, &stripe76.SubscriptionItemParams{ClearUsage: stripe76.Bool(true)})
			if se, ok := err.(*stripe76.Error); !ok || se.HTTPStatusCode != 400 || !strings.Contains(se.Msg, "billing_mode.type=flexible") {
				t.Fatalf("clear_usage on flexible: %v", err)
			}
			must76(sc.SubscriptionItems.Del(it.ID, nil))(t)
		}
		if refused != 1 {
			t.Errorf("flexible subscription had %d metered items, want 1", refused)
		}
	})
}

// TestDeleteMeterItemInClassicMode: the clear_usage requirement is usage
// records'; an item whose price has a billing meter is deleted without it
// in classic mode, and clear_usage has no effect on it.
func TestDeleteMeterItemInClassicMode(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		flat := monthlyPrice(t, sc, 500, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		for _, clear := range []*bool{nil, stripe.Bool(true)} {
			s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
				Customer:    stripe.String(cu.ID),
				Items:       append(meteredItems(pr.ID), &stripe.SubscriptionCreateItemParams{Price: stripe.String(flat.ID)}),
				BillingMode: &stripe.SubscriptionCreateBillingModeParams{Type: stripe.String("classic")},
			})
			deleted := 0
			for _, it := range s.Items.Data {
				if it.Price.ID != pr.ID {
					continue
				}
				del, err := sc.V1SubscriptionItems.Delete(ctx, it.ID, &stripe.SubscriptionItemDeleteParams{ClearUsage: clear})
				if err != nil || !del.Deleted {
					t.Errorf("delete meter item (clear_usage %v): %v %+v", clear != nil, err, del)
				}
				deleted++
			}
			got, err := sc.V1Subscriptions.Retrieve(ctx, s.ID, nil)
			if deleted != 1 || err != nil || len(got.Items.Data) != 1 || got.Items.Data[0].Price.ID != flat.ID {
				t.Errorf("clear_usage %v: deleted %d, then %v %+v", clear != nil, deleted, err, got)
			}
		}
	})
}
