package clockwork_test

import (
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/stripefake/stripefake/clockwork"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func TestTimeMovesOnlyForward(t *testing.T) {
	f := clockwork.NewFrozen(t0)
	tm := clockwork.NewTime(f)
	if !tm.Settable() {
		t.Fatal("frozen clock not settable")
	}
	tm.Set(t0.Add(time.Hour))
	tm.Set(t0) // never back
	if !tm.Now().Equal(t0.Add(time.Hour)) || f.Since(t0) != time.Hour || f.Until(t0.Add(2*time.Hour)) != time.Hour {
		t.Errorf("now %v", tm.Now())
	}
	m := clock.NewMock()
	m.Set(t0)
	mt := clockwork.NewTime(m)
	mt.Set(t0.Add(time.Minute))
	if !m.Now().Equal(t0.Add(time.Minute)) {
		t.Errorf("mock not moved: %v", m.Now())
	}
	if clockwork.NewTime(clock.New()).Settable() {
		t.Errorf("a real clock cannot be set")
	}
}
