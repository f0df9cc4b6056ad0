package resources

import (
	"math"
	"time"
)

// Billing periods: the arithmetic of recurring intervals, shared by
// subscriptions, quotes and previews. Every boundary is computed from the
// anchor, not from the previous boundary, so a Jan 31 anchor renews on
// Feb 28 (29), Mar 31, Apr 30, … and a Feb 29 yearly anchor on Feb 28 in
// common years. All times are UTC.

// Interval is a recurring price's interval: day, week, month or year.
type Interval struct {
	Unit  string // "day" | "week" | "month" | "year"
	Count int64  // interval_count, at least 1
}

// addMonthsClamped adds n months to t, keeping t's time of day and clamping
// the day to the last day of the target month.
func addMonthsClamped(t time.Time, n int) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	total := int(m) - 1 + n
	ty := y + floorDiv(total, 12)
	tm := time.Month(total - floorDiv(total, 12)*12 + 1)
	if last := daysIn(ty, tm); d > last {
		d = last
	}
	return time.Date(ty, tm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Boundary returns the k-th period boundary after anchor (k may be
// negative; Boundary(anchor, 0) is anchor itself).
func (iv Interval) Boundary(anchor time.Time, k int) time.Time {
	n := k * int(max(iv.Count, 1))
	switch iv.Unit {
	case "day":
		return anchor.UTC().AddDate(0, 0, n)
	case "week":
		return anchor.UTC().AddDate(0, 0, 7*n)
	case "year":
		return addMonthsClamped(anchor, 12*n)
	default: // month
		return addMonthsClamped(anchor, n)
	}
}

// Index returns the k with Boundary(anchor, k) <= t < Boundary(anchor, k+1).
func (iv Interval) Index(anchor, t time.Time) int {
	// Estimate from the average length of a period, then correct: at most
	// a step or two either way, so a renewal years ahead costs the same as
	// one next month.
	k := int(math.Floor(float64(t.Sub(anchor)) / float64(iv.approx())))
	for iv.Boundary(anchor, k).After(t) {
		k--
	}
	for !iv.Boundary(anchor, k+1).After(t) {
		k++
	}
	return k
}

func (iv Interval) approx() time.Duration {
	c := time.Duration(max(iv.Count, 1))
	switch iv.Unit {
	case "day":
		return 24 * time.Hour * c
	case "week":
		return 7 * 24 * time.Hour * c
	case "year":
		return 365*24*time.Hour*c + 6*time.Hour*c
	default:
		return 30*24*time.Hour*c + 10*time.Hour*c
	}
}

// Period returns the period [start, end) that contains t.
func (iv Interval) Period(anchor, t time.Time) (start, end time.Time) {
	k := iv.Index(anchor, t)
	return iv.Boundary(anchor, k), iv.Boundary(anchor, k+1)
}

// Next returns the first boundary strictly after t.
func (iv Interval) Next(anchor, t time.Time) time.Time {
	return iv.Boundary(anchor, iv.Index(anchor, t)+1)
}

// Prorate returns amount scaled by the share of [start, end) that remains
// after t, to the second, rounded half away from zero (Stripe's rounding is
// unconfirmed; this is the usual commercial rounding).
func Prorate(amount int64, t, start, end time.Time) int64 {
	total := end.Unix() - start.Unix()
	if total <= 0 {
		return 0
	}
	left := end.Unix() - t.Unix()
	left = min(max(left, 0), total)
	return int64(math.Round(float64(amount) * float64(left) / float64(total)))
}

// AnchorFromConfig resolves billing_cycle_anchor_config: the first instant
// at or after now on the given day of month (clamped to the month's end),
// month (for yearly intervals; 0 = any), and time of day. Unset hour,
// minute and second (-1) take now's.
func AnchorFromConfig(now time.Time, dayOfMonth, month, hour, minute, second int) time.Time {
	now = now.UTC()
	if hour < 0 {
		hour = now.Hour()
	}
	if minute < 0 {
		minute = now.Minute()
	}
	if second < 0 {
		second = now.Second()
	}
	at := func(y int, m time.Month) time.Time {
		d := min(dayOfMonth, daysIn(y, m))
		return time.Date(y, m, d, hour, minute, second, 0, time.UTC)
	}
	y, m, _ := now.Date()
	for i := 0; i < 24; i++ {
		mm := time.Month(int(m)-1+i)%12 + 1
		yy := y + (int(m)-1+i)/12
		if month != 0 && int(mm) != month {
			continue
		}
		if cand := at(yy, mm); !cand.Before(now) {
			return cand
		}
	}
	return at(y+2, time.Month(max(month, 1)))
}
