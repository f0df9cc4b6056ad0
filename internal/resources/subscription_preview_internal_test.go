package resources

import (
	"testing"
	"time"
)

// The preview of resume_at plans on s but keeps the paused subscription as
// before, a copy, as planUpdate does: renderUpdate may compare the two.
func TestResumeUpdateKeepsBefore(t *testing.T) {
	anchor := t0.AddDate(0, -2, 0)
	s := &Subscription{ID: "sub_resume", Status: "paused", BillingCycleAnchor: anchor.Unix()}
	amount := int64(1000)
	pr := &Price{ID: "price_resume", Currency: "usd", UnitAmount: &amount, Recurring: &PriceRecurring{Interval: "month", IntervalCount: 1, UsageType: "licensed"}}
	s.Items.Data = []*SubscriptionItem{{ID: "si_resume", Price: pr, CurrentPeriodStart: anchor.Unix(), CurrentPeriodEnd: anchor.AddDate(0, 1, 0).Unix()}}
	now := t0.Add(time.Hour)
	u := resumeUpdate(s, nil, now, "now", "")
	if u.sub != s || u.before == s {
		t.Fatalf("sub %p before %p, want s %p and a copy", u.sub, u.before, s)
	}
	if u.sub.Status != "active" || u.sub.BillingCycleAnchor != now.Unix() || u.sub.periodStart() != now.Unix() {
		t.Errorf("resumed: status %s anchor %d period start %d", u.sub.Status, u.sub.BillingCycleAnchor, u.sub.periodStart())
	}
	if u.before.Status != "paused" || u.before.BillingCycleAnchor != anchor.Unix() || u.before.periodStart() != anchor.Unix() {
		t.Errorf("before: status %s anchor %d period start %d", u.before.Status, u.before.BillingCycleAnchor, u.before.periodStart())
	}
}
