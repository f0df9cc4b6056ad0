package resources_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// clockStart is a frozen_time well before the fake's own clock, so that the
// two are never confused.
var clockStart = testfake.Start.AddDate(-1, 0, 0)

func newClock(t *testing.T, sc *stripe.Client, frozen time.Time, name string) *stripe.TestHelpersTestClock {
	t.Helper()
	p := &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())}
	if name != "" {
		p.Name = stripe.String(name)
	}
	tc, err := sc.V1TestHelpersTestClocks.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func retrieveClock(t *testing.T, sc *stripe.Client, id string) *stripe.TestHelpersTestClock {
	t.Helper()
	tc, err := sc.V1TestHelpersTestClocks.Retrieve(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func advanceClock(sc *stripe.Client, id string, to time.Time) (*stripe.TestHelpersTestClock, error) {
	return sc.V1TestHelpersTestClocks.Advance(ctx, id, &stripe.TestHelpersTestClockAdvanceParams{FrozenTime: stripe.Int64(to.Unix())})
}

func customerOn(t *testing.T, sc *stripe.Client, clock string) *stripe.Customer {
	t.Helper()
	p := &stripe.CustomerCreateParams{}
	if clock != "" {
		p.TestClock = stripe.String(clock)
	}
	cu, err := sc.V1Customers.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

// eventObject decodes an event's data.object.
func eventObject(t *testing.T, ev fake.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Object, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTestClockCreateRetrieveListDelete(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, clockStart, "renewals")
		if !strings.HasPrefix(tc.ID, "clock_") || len(tc.ID) != len("clock_")+24 {
			t.Errorf("id %q", tc.ID)
		}
		if tc.Object != "test_helpers.test_clock" || tc.Name != "renewals" || tc.Livemode || tc.Status != stripe.TestHelpersTestClockStatusReady {
			t.Errorf("created %+v", tc)
		}
		now := f.Now().Unix()
		if tc.Created != now || tc.FrozenTime != clockStart.Unix() || tc.DeletesAfter != now+7*24*3600 {
			t.Errorf("created=%d frozen_time=%d deletes_after=%d (now %d)", tc.Created, tc.FrozenTime, tc.DeletesAfter, now)
		}
		if tc.StatusDetails == nil || tc.StatusDetails.Advancing != nil {
			t.Errorf("status_details %+v", tc.StatusDetails)
		}
		if got := retrieveClock(t, sc, tc.ID); got.ID != tc.ID || got.FrozenTime != tc.FrozenTime || got.Name != "renewals" {
			t.Errorf("retrieve %+v", got)
		}

		// Newest first, paginated.
		f.Advance(time.Minute)
		second := newClock(t, sc, clockStart, "")
		f.Advance(time.Minute)
		third := newClock(t, sc, clockStart.Add(time.Hour), "")
		listed := ids(t, sc.V1TestHelpersTestClocks.List(ctx, &stripe.TestHelpersTestClockListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(2)}}).All(ctx))
		if want := []string{third.ID, second.ID, tc.ID}; strings.Join(listed, ",") != strings.Join(want, ",") {
			t.Errorf("list %v, want %v", listed, want)
		}
		if second.Name != "" {
			t.Errorf("unnamed clock has name %q", second.Name)
		}

		del, err := sc.V1TestHelpersTestClocks.Delete(ctx, second.ID, nil)
		if err != nil || !del.Deleted || del.ID != second.ID || del.Object != "test_helpers.test_clock" {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = sc.V1TestHelpersTestClocks.Retrieve(ctx, second.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such billingclock: '"+second.ID+"'")
		_, err = sc.V1TestHelpersTestClocks.Delete(ctx, second.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "")
		n := 0
		for c, err := range sc.V1TestHelpersTestClocks.List(ctx, nil).All(ctx) {
			if err != nil || c.ID == second.ID {
				t.Fatalf("list after delete: %v %v", err, c)
			}
			n++
		}
		if n != 2 {
			t.Errorf("listed %d clocks after delete", n)
		}

		want := []string{"test_helpers.test_clock.created", "test_helpers.test_clock.created", "test_helpers.test_clock.created", "test_helpers.test_clock.deleted"}
		if got := eventTypes(f); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("events %v, want %v", got, want)
		}
		for _, ev := range f.Events() {
			if ev.RequestID == "" {
				t.Errorf("%s has no request", ev.Type)
			}
		}
	})
}

func TestTestClockBadRequestsChangeNothing(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{Name: stripe.String("x")})
		stripeErr(t, err, 400, "parameter_missing", "frozen_time", "")
		p := &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(clockStart.Unix())}
		p.AddExtra("customer", "cus_x")
		_, err = sc.V1TestHelpersTestClocks.Create(ctx, p)
		stripeErr(t, err, 400, "", "customer", "")
		_, err = sc.V1TestHelpersTestClocks.Retrieve(ctx, "clock_nope", nil)
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such billingclock: 'clock_nope'")
		_, err = advanceClock(sc, "clock_nope", clockStart)
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "")
		_, err = sc.V1TestHelpersTestClocks.Advance(ctx, "clock_nope", &stripe.TestHelpersTestClockAdvanceParams{})
		stripeErr(t, err, 400, "parameter_missing", "frozen_time", "")
		if n := len(f.Events()); n != 0 {
			t.Errorf("failed requests wrote events %v", eventTypes(f))
		}
		if err := listErr(sc.V1TestHelpersTestClocks.List(ctx, nil).All(ctx)); err != nil {
			t.Fatal(err)
		}
		for c := range sc.V1TestHelpersTestClocks.List(ctx, nil).All(ctx) {
			t.Errorf("a failed request made clock %s", c.ID)
		}
	})
}

func TestTestClockAdvance(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		fakeNow := f.Now()
		tc := newClock(t, sc, clockStart, "")
		target := clockStart.Add(36 * time.Hour)
		got, err := advanceClock(sc, tc.ID, target)
		if err != nil {
			t.Fatal(err)
		}
		// The call answers as Stripe's does: advancing, towards the target,
		// frozen_time not yet moved.
		if got.Status != stripe.TestHelpersTestClockStatusAdvancing || got.StatusDetails.Advancing == nil ||
			got.StatusDetails.Advancing.TargetFrozenTime != target.Unix() || got.FrozenTime != clockStart.Unix() {
			t.Errorf("advance answered %+v (details %+v)", got, got.StatusDetails)
		}
		// By the time the call returns, the advance is done.
		after := retrieveClock(t, sc, tc.ID)
		if after.Status != stripe.TestHelpersTestClockStatusReady || after.FrozenTime != target.Unix() || after.StatusDetails.Advancing != nil {
			t.Errorf("after advance %+v (details %+v)", after, after.StatusDetails)
		}
		if !f.Now().Equal(fakeNow) {
			t.Errorf("advancing a test clock moved the fake's clock to %v", f.Now())
		}

		evs := f.Events()
		want := []string{"test_helpers.test_clock.created", "test_helpers.test_clock.advancing", "test_helpers.test_clock.ready"}
		if got := eventTypes(f); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("events %v, want %v", got, want)
		}
		// The advancing event comes from the request; ready from Stripe's
		// own processing.
		if evs[1].RequestID == "" || evs[2].RequestID != "" {
			t.Errorf("request ids: advancing %q, ready %q", evs[1].RequestID, evs[2].RequestID)
		}
		adv, ready := eventObject(t, evs[1]), eventObject(t, evs[2])
		details, _ := adv["status_details"].(map[string]any)
		if adv["status"] != "advancing" || details["advancing"] == nil {
			t.Errorf("advancing event object %v", adv)
		}
		if ready["status"] != "ready" || ready["frozen_time"] != float64(target.Unix()) {
			t.Errorf("ready event object %v", ready)
		}
		for _, ev := range evs {
			if ev.Created.Unix() != fakeNow.Unix() {
				t.Errorf("%s created %v, want the fake's time %v", ev.Type, ev.Created, fakeNow)
			}
		}

		// Advancing again moves on from where it got to.
		if _, err := advanceClock(sc, tc.ID, target.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := retrieveClock(t, sc, tc.ID); got.FrozenTime != target.Unix()+1 || got.Status != stripe.TestHelpersTestClockStatusReady {
			t.Errorf("second advance %+v", got)
		}
	})
}

func TestTestClockAdvanceRefused(t *testing.T) {
	twoYears := clockStart.AddDate(2, 0, 0)
	cases := []struct {
		name string
		to   time.Time
		msg  string
	}{
		{"backwards", clockStart.Add(-time.Second), "The frozen_time must be after the test clock's current frozen_time (" + formatUnix(clockStart) + ")."},
		{"to the current frozen_time", clockStart, ""},
		{"more than two years with no subscriptions", twoYears.Add(time.Second), "The test clock cannot advance more than two years at a time: frozen_time must be at most " + formatUnix(twoYears) + "."},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, clockStart, "")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := advanceClock(sc, tc.ID, c.to)
				stripeErr(t, err, 400, "", "frozen_time", c.msg)
			})
		}
		got := retrieveClock(t, sc, tc.ID)
		if got.FrozenTime != clockStart.Unix() || got.Status != stripe.TestHelpersTestClockStatusReady {
			t.Errorf("refused advances changed the clock: %+v", got)
		}
		if got := eventTypes(f); len(got) != 1 {
			t.Errorf("refused advances wrote events: %v", got)
		}
		// Exactly two years is allowed.
		if _, err := advanceClock(sc, tc.ID, twoYears); err != nil {
			t.Fatal(err)
		}
		if got := retrieveClock(t, sc, tc.ID); got.FrozenTime != twoYears.Unix() {
			t.Errorf("frozen_time %d, want %d", got.FrozenTime, twoYears.Unix())
		}
	})
}

func formatUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestTestClockAndFakeClockAreIndependent(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, clockStart, "")
		onClock := customerOn(t, sc, tc.ID)
		if onClock.Created != clockStart.Unix() || onClock.TestClock == nil || onClock.TestClock.ID != tc.ID {
			t.Errorf("customer on clock: created %d (want frozen_time %d), test_clock %+v", onClock.Created, clockStart.Unix(), onClock.TestClock)
		}

		// The fake's Advance leaves the test clock alone.
		f.Advance(48 * time.Hour)
		if got := retrieveClock(t, sc, tc.ID); got.FrozenTime != clockStart.Unix() {
			t.Errorf("f.Advance moved the test clock to %d", got.FrozenTime)
		}
		if cu := customerOn(t, sc, tc.ID); cu.Created != clockStart.Unix() {
			t.Errorf("customer on clock after f.Advance: created %d", cu.Created)
		}
		plain := customerOn(t, sc, "")
		if plain.Created != f.Now().Unix() || plain.TestClock != nil {
			t.Errorf("plain customer created %d, test_clock %v", plain.Created, plain.TestClock)
		}

		// A clock's advance leaves the fake's clock alone and dates what is
		// created on the clock afterwards at the clock's new time.
		fakeNow := f.Now()
		target := clockStart.AddDate(0, 1, 0)
		if _, err := advanceClock(sc, tc.ID, target); err != nil {
			t.Fatal(err)
		}
		if !f.Now().Equal(fakeNow) {
			t.Errorf("clock advance moved the fake to %v", f.Now())
		}
		later := customerOn(t, sc, tc.ID)
		if later.Created != target.Unix() {
			t.Errorf("customer after clock advance: created %d, want %d", later.Created, target.Unix())
		}

		// Customers on a clock are listed only with test_clock.
		onList := ids(t, sc.V1Customers.List(ctx, &stripe.CustomerListParams{TestClock: stripe.String(tc.ID)}).All(ctx))
		if len(onList) != 3 || onList[0] != later.ID {
			t.Errorf("customers on the clock %v", onList)
		}
		plainList := ids(t, sc.V1Customers.List(ctx, nil).All(ctx))
		if len(plainList) != 1 || plainList[0] != plain.ID {
			t.Errorf("customers without test_clock %v", plainList)
		}
	})
}

func TestTestClockDeleteDeletesItsCustomers(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, clockStart, "")
		other := newClock(t, sc, clockStart, "")
		a := customerOn(t, sc, tc.ID)
		b, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(tc.ID), PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil {
			t.Fatal(err)
		}
		kept := customerOn(t, sc, other.ID)
		plain := customerOn(t, sc, "")
		var pm *stripe.PaymentMethod
		for p, err := range sc.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{Customer: stripe.String(b.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			pm = p
		}
		if pm == nil {
			t.Fatal("no payment method attached")
		}
		before := len(f.Events())

		if _, err := sc.V1TestHelpersTestClocks.Delete(ctx, tc.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{a.ID, b.ID} {
			cu, err := sc.V1Customers.Retrieve(ctx, id, nil)
			if err != nil || !cu.Deleted {
				t.Errorf("customer %s after its clock's deletion: %v %+v", id, err, cu)
			}
		}
		for _, id := range []string{kept.ID, plain.ID} {
			if cu, err := sc.V1Customers.Retrieve(ctx, id, nil); err != nil || cu.Deleted {
				t.Errorf("customer %s should stay: %v %+v", id, err, cu)
			}
		}
		if _, err := sc.V1TestHelpersTestClocks.Retrieve(ctx, other.ID, nil); err != nil {
			t.Errorf("other clock: %v", err)
		}
		if got, err := sc.V1PaymentMethods.Retrieve(ctx, pm.ID, nil); err != nil || got.Customer != nil {
			t.Errorf("payment method of a deleted customer: %v %+v", err, got)
		}

		evs := f.Events()[before:]
		if len(evs) == 0 || evs[0].Type != "test_helpers.test_clock.deleted" || evs[0].RequestID == "" {
			t.Fatalf("events after delete %v", eventTypes(f)[before:])
		}
		deleted := map[string]bool{}
		for _, ev := range evs[1:] {
			if ev.RequestID != "" {
				t.Errorf("%s for %s carries request %s; Stripe deletes attached objects in the background", ev.Type, ev.ObjectID, ev.RequestID)
			}
			if ev.Type == "customer.deleted" {
				deleted[ev.ObjectID] = true
			}
		}
		if len(deleted) != 2 || !deleted[a.ID] || !deleted[b.ID] {
			t.Errorf("customer.deleted for %v", deleted)
		}
		if got := strings.Join(eventTypes(f)[before:], ","); !strings.Contains(got, "payment_method.detached") {
			t.Errorf("events after delete %s", got)
		}

		if still := ids(t, sc.V1Customers.List(ctx, &stripe.CustomerListParams{TestClock: stripe.String(tc.ID)}).All(ctx)); len(still) != 0 {
			t.Errorf("customers still listed on the deleted clock: %v", still)
		}
		_, err = sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(tc.ID)})
		stripeErr(t, err, 400, stripe.ErrorCodeResourceMissing, "test_clock", "No such billingclock: '"+tc.ID+"'")
	})
}
