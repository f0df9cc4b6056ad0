package resources

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 30, 0, 0, time.UTC) }

func TestMonthEndClamping(t *testing.T) {
	monthly := Interval{Unit: "month", Count: 1}
	anchor := date(2024, time.January, 31)
	want := []time.Time{date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)}
	for k, w := range want {
		if got := monthly.Boundary(anchor, k); !got.Equal(w) {
			t.Errorf("boundary %d = %v, want %v", k, got, w)
		}
	}
	if got := monthly.Boundary(date(2025, 1, 31), 1); !got.Equal(date(2025, 2, 28)) {
		t.Errorf("common year Feb: %v", got)
	}
	yearly := Interval{Unit: "year", Count: 1}
	if got := yearly.Boundary(date(2024, 2, 29), 1); !got.Equal(date(2025, 2, 28)) {
		t.Errorf("Feb 29 yearly: %v", got)
	}
	if got := yearly.Boundary(date(2024, 2, 29), 4); !got.Equal(date(2028, 2, 29)) {
		t.Errorf("Feb 29 four years on: %v", got)
	}
	if got := monthly.Boundary(anchor, -1); !got.Equal(date(2023, 12, 31)) {
		t.Errorf("k=-1: %v", got)
	}
	if got := (Interval{Unit: "month", Count: 3}).Boundary(anchor, 1); !got.Equal(date(2024, 4, 30)) {
		t.Errorf("quarterly: %v", got)
	}
	if got := (Interval{Unit: "week", Count: 2}).Boundary(anchor, 1); !got.Equal(date(2024, 2, 14)) {
		t.Errorf("fortnightly: %v", got)
	}
}

func TestPeriodContaining(t *testing.T) {
	cases := []struct {
		iv         Interval
		anchor, at time.Time
		start, end time.Time
	}{
		{Interval{"month", 1}, date(2024, 1, 31), date(2024, 3, 1), date(2024, 2, 29), date(2024, 3, 31)},
		{Interval{"month", 1}, date(2024, 1, 31), date(2024, 2, 29), date(2024, 2, 29), date(2024, 3, 31)}, // on a boundary
		{Interval{"month", 1}, date(2024, 1, 31), date(2034, 6, 15), date(2034, 5, 31), date(2034, 6, 30)},
		{Interval{"day", 1}, date(2024, 1, 31), date(2024, 2, 3).Add(time.Hour), date(2024, 2, 3), date(2024, 2, 4)},
		{Interval{"year", 1}, date(2024, 2, 29), date(2025, 3, 1), date(2025, 2, 28), date(2026, 2, 28)},
		{Interval{"month", 1}, date(2024, 5, 1), date(2024, 4, 15), date(2024, 4, 1), date(2024, 5, 1)}, // before the anchor
	}
	for _, tc := range cases {
		s, e := tc.iv.Period(tc.anchor, tc.at)
		if !s.Equal(tc.start) || !e.Equal(tc.end) {
			t.Errorf("%v from %v at %v: [%v, %v), want [%v, %v)", tc.iv, tc.anchor, tc.at, s, e, tc.start, tc.end)
		}
		if n := tc.iv.Next(tc.anchor, tc.at); !n.Equal(tc.end) {
			t.Errorf("next %v, want %v", n, tc.end)
		}
	}
}

func TestProrateToTheSecond(t *testing.T) {
	start, end := date(2024, 5, 1), date(2024, 6, 1)
	mid := date(2024, 5, 16) // 16 of 31 days left
	if got := Prorate(3100, mid, start, end); got != 1600 {
		t.Errorf("prorate = %d, want 1600", got)
	}
	if got := Prorate(-3100, mid, start, end); got != -1600 {
		t.Errorf("credit = %d", got)
	}
	if got := Prorate(1000, start, start, end); got != 1000 {
		t.Errorf("full = %d", got)
	}
	if got := Prorate(1000, end.Add(time.Hour), start, end); got != 0 {
		t.Errorf("after the end = %d", got)
	}
	// One second left of a 31-day month on 1,000,000.
	if got := Prorate(1_000_000, end.Add(-time.Second), start, end); got != 0 {
		t.Errorf("one second = %d", got)
	}
}

func TestAnchorFromConfig(t *testing.T) {
	now := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	if got := AnchorFromConfig(now, 31, 0, -1, -1, -1); !got.Equal(time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("day 31 in Feb: %v", got)
	}
	if got := AnchorFromConfig(now, 5, 0, 0, 0, 0); !got.Equal(time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("day 5: %v", got)
	}
	if got := AnchorFromConfig(now, 1, 1, 0, 0, 0); !got.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("yearly Jan 1: %v", got)
	}
}
