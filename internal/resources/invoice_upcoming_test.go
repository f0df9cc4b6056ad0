package resources_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	stripe76 "github.com/stripe/stripe-go/v76"
	client76 "github.com/stripe/stripe-go/v76/client"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// upcomingLine is what a preview line and the line it foretells share.
type upcomingLine struct {
	Amount      int64
	Description string
	Start, End  int64
	Proration   bool
	Price       string
	Quantity    int64
}

func upcomingLines76(lines []*stripe76.InvoiceLineItem) []upcomingLine {
	out := make([]upcomingLine, 0, len(lines))
	for _, l := range lines {
		u := upcomingLine{Amount: l.Amount, Description: l.Description, Start: l.Period.Start, End: l.Period.End, Proration: l.Proration, Quantity: l.Quantity}
		if l.Price != nil {
			u.Price = l.Price.ID
		}
		out = append(out, u)
	}
	return out
}

func err76(t *testing.T, err error, status int, code, param, msg string) {
	t.Helper()
	var se *stripe76.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *stripe.Error, got %T %v", err, err)
	}
	if se.HTTPStatusCode != status || string(se.Code) != code || se.Param != param || msg != "" && se.Msg != msg {
		t.Errorf("got %d code=%q param=%q msg=%q, want %d %q %q %q", se.HTTPStatusCode, se.Code, se.Param, se.Msg, status, code, param, msg)
	}
}

// TestV76UpcomingInvoice drives GET /v1/invoices/upcoming and /lines with
// stripe-go v76 at 2023-10-16: the renewal a customer's subscription makes
// next, a plan change's prorations equal to the cent to what the same
// update with the same proration_date then invoices, paging of the lines,
// errors naming the legacy parameters, and invoice_upcoming_none.
func TestV76UpcomingInvoice(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		basic, pro := monthlyPlan76(t, sc, 1000), monthlyPlan76(t, sc, 3000)
		sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID), Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(basic.ID), Quantity: stripe76.Int64(2)}},
		}))(t)
		f.Advance(10 * 24 * time.Hour)
		events := len(f.Events())

		// The customer's next invoice: the renewal, without an id.
		up := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(cu.ID)}))(t)
		if up.ID != "" || up.Subscription == nil || up.Subscription.ID != sub.ID || up.Total != 2000 || up.AmountDue != 2000 ||
			up.BillingReason != "upcoming" || up.PeriodEnd != sub.CurrentPeriodEnd || len(up.Lines.Data) != 1 ||
			up.Lines.Data[0].Period.Start != sub.CurrentPeriodEnd {
			t.Fatalf("renewal preview: id=%q total=%d due=%d reason=%s lines=%+v", up.ID, up.Total, up.AmountDue, up.BillingReason, upcomingLines76(up.Lines.Data))
		}

		// A plan change, prorated at a given instant.
		pd := testfake.Start.Add(10*24*time.Hour + time.Hour).Unix()
		item := sub.Items.Data[0].ID
		change := []*stripe76.SubscriptionItemsParams{{ID: stripe76.String(item), Plan: stripe76.String(pro.ID)}}
		preview := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{
			Customer: stripe76.String(cu.ID), Subscription: stripe76.String(sub.ID),
			SubscriptionItems: change, SubscriptionProrationDate: stripe76.Int64(pd),
		}))(t)
		want := upcomingLines76(preview.Lines.Data)
		prorations := 0
		for _, l := range want {
			if l.Proration {
				prorations++
				if l.Start != pd {
					t.Errorf("proration starts at %d, want %d", l.Start, pd)
				}
			}
		}
		if prorations != 2 || len(want) != 3 || preview.Total != want[0].Amount+want[1].Amount+want[2].Amount {
			t.Fatalf("proration preview: total=%d lines=%+v", preview.Total, want)
		}
		if len(f.Events()) != events {
			t.Errorf("the previews wrote events: %d → %d", events, len(f.Events()))
		}

		// /lines pages the same lines, one at a time.
		it := sc.Invoices.UpcomingLines(&stripe76.InvoiceUpcomingLinesParams{
			ListParams: stripe76.ListParams{Limit: stripe76.Int64(1)}, Customer: stripe76.String(cu.ID), Subscription: stripe76.String(sub.ID),
			SubscriptionItems:         []*stripe76.InvoiceUpcomingLinesSubscriptionItemParams{{ID: stripe76.String(item), Plan: stripe76.String(pro.ID)}},
			SubscriptionProrationDate: stripe76.Int64(pd),
		})
		var paged []*stripe76.InvoiceLineItem
		for it.Next() {
			paged = append(paged, it.InvoiceLineItem())
		}
		if it.Err() != nil || len(paged) != len(want) {
			t.Fatalf("lines: %d %v", len(paged), it.Err())
		}
		for i, l := range upcomingLines76(paged) {
			if l != want[i] || paged[i].ID != preview.Lines.Data[i].ID || !strings.HasPrefix(paged[i].ID, "il_tmp_") {
				t.Errorf("line %d: %+v %s, want %+v %s", i, l, paged[i].ID, want[i], preview.Lines.Data[i].ID)
			}
		}

		// The same update with the same proration_date: the renewal
		// invoice has the previewed lines, to the cent.
		must76(sc.Subscriptions.Update(sub.ID, &stripe76.SubscriptionParams{Items: change, ProrationDate: stripe76.Int64(pd)}))(t)
		f.Advance(time.Unix(sub.CurrentPeriodEnd, 0).Sub(f.Now()) + time.Minute)
		invs := sc.Invoices.List(&stripe76.InvoiceListParams{Customer: stripe76.String(cu.ID), Subscription: stripe76.String(sub.ID)})
		var renewal *stripe76.Invoice
		for invs.Next() {
			if inv := invs.Invoice(); inv.BillingReason == "subscription_cycle" {
				renewal = inv
			}
		}
		if renewal == nil {
			t.Fatal("no renewal invoice")
		}
		got := upcomingLines76(renewal.Lines.Data)
		if len(got) != len(want) || renewal.Total != preview.Total || renewal.Subtotal != preview.Subtotal {
			t.Fatalf("renewal total=%d lines=%+v\npreview total=%d lines=%+v", renewal.Total, got, preview.Total, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("line %d: renewal %+v, preview %+v", i, got[i], want[i])
			}
		}

		// Errors name the parameter the caller sent.
		_, err := sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Subscription: stripe76.String(sub.ID), SubscriptionProrationDate: stripe76.Int64(pd)})
		err76(t, err, 400, "", "subscription_proration_date", "")
		_, err = sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Subscription: stripe76.String(sub.ID),
			SubscriptionItems: []*stripe76.SubscriptionItemsParams{{Price: stripe76.String("price_missing")}}})
		err76(t, err, 400, "resource_missing", "subscription_items[0][price]", "")
		_, err = sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Subscription: stripe76.String(sub.ID), Coupon: stripe76.String("nope")})
		err76(t, err, 400, "resource_missing", "coupon", "")

		// Nothing to preview: Stripe's 404.
		other := payingCustomer76(t, sc, "")
		_, err = sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(other.ID)})
		err76(t, err, 404, "invoice_upcoming_none", "", "No upcoming invoices for customer: "+other.ID)
		// Its pending invoice items are its next invoice.
		must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{Customer: stripe76.String(other.ID), Amount: stripe76.Int64(700), Currency: stripe76.String("usd")}))(t)
		up = must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(other.ID)}))(t)
		if up.Total != 700 || len(up.Lines.Data) != 1 || up.Subscription != nil {
			t.Errorf("pending items preview: total=%d lines=%d", up.Total, len(up.Lines.Data))
		}
		testfake.CheckResponses(t, f)
	})
}

// TestUpcomingInvoiceGoneAtBasil: from basil on both routes answer Stripe's
// missing-route 404, not a retrieve of an invoice named "upcoming".
func TestUpcomingInvoiceGoneAtBasil(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		for _, version := range []string{"2025-03-31.basil", "2026-03-25.dahlia"} {
			for _, path := range []string{"/v1/invoices/upcoming", "/v1/invoices/upcoming/lines"} {
				status, body := rawAt(t, f, version, "GET", path, url.Values{"customer": {cu.ID}})
				if want := "Unrecognized request URL (GET: " + path + ")"; status != 404 || !strings.Contains(body, want) {
					t.Errorf("%s at %s: %d %s", path, version, status, body)
				}
			}
		}
		status, body := rawAt(t, f, "2024-09-30.acacia", "GET", "/v1/invoices/upcoming", url.Values{"customer": {cu.ID}})
		if status != 404 || !strings.Contains(body, "invoice_upcoming_none") {
			t.Errorf("at acacia: %d %s", status, body)
		}
	})
}

// TestUpcomingInvoiceSubscriptionDetails: releases after 2023-10-16 added
// subscription_details to the upcoming invoice (stripe-go v79 to v81 send
// it); it previews as create_preview's does, and may not repeat a flat
// subscription_* parameter.
func TestUpcomingInvoiceSubscriptionDetails(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		basic, pro := monthlyPlan76(t, sc, 1000), monthlyPlan76(t, sc, 3000)
		sub := subscribeToPlan76(t, sc, cu.ID, basic.ID)
		f.Advance(10 * 24 * time.Hour)
		pd := fmt.Sprint(f.Now().Unix())
		item := sub.Items.Data[0].ID
		status, body := rawAt(t, f, "2024-09-30.acacia", "GET", "/v1/invoices/upcoming", url.Values{
			"subscription": {sub.ID}, "subscription_details[items][0][id]": {item}, "subscription_details[items][0][price]": {pro.ID},
			"subscription_details[proration_date]": {pd},
		})
		var preview struct {
			ProrationDate json.Number `json:"subscription_proration_date"`
			Total         int64       `json:"total"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &preview) != nil || preview.ProrationDate.String() != pd {
			t.Errorf("subscription_details at acacia: %d %s", status, body)
		}
		legacy := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Subscription: stripe76.String(sub.ID),
			SubscriptionItems:         []*stripe76.SubscriptionItemsParams{{ID: stripe76.String(item), Plan: stripe76.String(pro.ID)}},
			SubscriptionProrationDate: stripe76.Int64(f.Now().Unix())}))(t)
		if preview.Total != legacy.Total {
			t.Errorf("subscription_details preview differs from the flat one (total %d): %s", legacy.Total, body)
		}
		status, body = rawAt(t, f, "2024-09-30.acacia", "GET", "/v1/invoices/upcoming", url.Values{
			"subscription": {sub.ID}, "subscription_details[proration_date]": {pd}, "subscription_proration_date": {pd},
		})
		var e struct {
			Error struct {
				Param string `json:"param"`
			} `json:"error"`
		}
		if status != 400 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Param != "subscription_proration_date" {
			t.Errorf("both: %d %s", status, body)
		}
	})
}

// A customer without subscriptions previews its pending items of one
// currency: the one asked for, or else the newest pending item's.
func TestV76UpcomingPendingItemsByCurrency(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		for _, it := range []struct {
			amount   int64
			currency string
		}{{500, "usd"}, {900, "eur"}, {300, "eur"}} {
			must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{Customer: stripe76.String(cu.ID), Amount: stripe76.Int64(it.amount), Currency: stripe76.String(it.currency)}))(t)
		}
		up := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(cu.ID)}))(t)
		if up.Currency != "eur" || up.Total != 1200 || len(up.Lines.Data) != 2 {
			t.Errorf("no currency: %s total=%d lines=%d", up.Currency, up.Total, len(up.Lines.Data))
		}
		up = must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(cu.ID), Currency: stripe76.String("usd")}))(t)
		if up.Currency != "usd" || up.Total != 500 || len(up.Lines.Data) != 1 {
			t.Errorf("currency=usd: %s total=%d lines=%d", up.Currency, up.Total, len(up.Lines.Data))
		}
		_, err := sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(cu.ID), Currency: stripe76.String("gbp")})
		err76(t, err, 404, "invoice_upcoming_none", "", "No upcoming invoices for customer: "+cu.ID)
	})
}
