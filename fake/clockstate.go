package fake

import (
	"fmt"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/resources"
)

// Time across a restart: the store keeps the fake's current time, so a fake
// reopened on a bbolt file resumes its clock where it stopped. Work pending
// at the close stays pending, and nothing runs twice or never.

// resumeClock chooses the fake's clock before the engine exists. On a store
// that has held a fake, the frozen clock resumes at the kept time; a start
// time (WithStartTime) can only move it forward, and the returned instant
// is where startClock advances it to, running what falls due on the way.
// On a new store the clock starts at the start time, or the real time.
func (cfg *config) resumeClock() (forward time.Time, err error) {
	saved, ok, err := resources.SavedTime(cfg.store)
	if err != nil {
		return time.Time{}, fmt.Errorf("fake: reading the stored clock: %w", err)
	}
	if cfg.clock != nil {
		// The user's clock: one the fake can move is brought forward to
		// the kept time, never back; a real clock is left alone.
		if ok {
			clockwork.NewTime(cfg.clock).Set(saved)
		}
		return time.Time{}, nil
	}
	switch {
	case ok:
		cfg.clock = clockwork.NewFrozen(saved)
		if cfg.start.After(saved) {
			forward = cfg.start
		}
	case !cfg.start.IsZero():
		cfg.clock = clockwork.NewFrozen(cfg.start)
	default:
		cfg.clock = clockwork.NewFrozen(clockwork.WallNow())
	}
	return forward, nil
}

// startClock keeps the starting time in the store, first advancing to
// forward when resumeClock asked for it.
func (f *Fake) startClock(forward time.Time) error {
	if !forward.IsZero() {
		return f.engine.AdvanceTo(forward)
	}
	return f.engine.SaveTime()
}
