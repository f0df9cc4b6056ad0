package resources

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stripefake/stripefake/store"
)

// The fake's clock is kept in the store, so that a fake reopened on a bbolt
// file resumes its time where it stopped: work pending at close is still
// pending, and nothing due before the close runs again or never.

// kindClockState holds one record, clockStateID: the fake clock's time in
// Unix nanoseconds. The name cannot collide with a Stripe object's.
const (
	kindClockState = "stripefake.clock"
	clockStateID   = "fake"
)

// SavedTime returns the fake clock's time as last kept in st, and false for
// a store that has never held a fake.
func SavedTime(st store.Store) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := st.View(func(tx store.Tx) error {
		var err error
		at, ok, err = savedTime(tx)
		return err
	})
	return at, ok, err
}

func savedTime(tx store.Tx) (time.Time, bool, error) {
	b, err := tx.Get(kindClockState, clockStateID)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("resources: stored clock %q: %w", b, err)
	}
	return time.Unix(0, n).UTC(), true, nil
}

// saveTime keeps at as the fake clock's time unless the store already holds
// a later one: the kept time never goes back.
func saveTime(tx store.Tx, at time.Time) error {
	prev, ok, err := savedTime(tx)
	if err != nil || (ok && !at.After(prev)) {
		return err
	}
	return tx.Put(kindClockState, clockStateID, strconv.AppendInt(nil, at.UnixNano(), 10))
}

// SaveTime keeps the fake clock's current time in the store. The fake
// calls it once at start; Advance and due jobs keep it current after that.
func (e *Engine) SaveTime() error {
	now := e.clock.Now()
	return e.store.Update(func(tx store.Tx) error { return saveTime(tx, now) })
}

// The IDs' seed is kept in the store too. IDs count on from the store's
// counter, so a fake reopened on a bbolt file with another seed would mint
// IDs that collide with stored ones (mix(n^a) = mix(m^b) for m = n^a^b)
// and overwrite their records: a store keeps the seed it was first used
// with.
const (
	kindIDSeed = "stripefake.ids"
	idSeedID   = "seed"
)

// KeepSeed makes the engine's IDs use the seed its store keeps, keeping the
// configured one in a store that has none (after Reset, too). The fake
// calls it at start, before anything mints an ID.
func (e *Engine) KeepSeed() error {
	return e.store.Update(func(tx store.Tx) error {
		raw, err := tx.Get(kindIDSeed, idSeedID)
		if errors.Is(err, store.ErrNotFound) {
			// A store written before the seed was kept may still name it,
			// with its first test-clock event (event_timeline.go).
			raw, err = tx.Get(kindEventTimelines, eventsTermed)
			if errors.Is(err, store.ErrNotFound) {
				raw, err = strconv.AppendUint(nil, e.cfg.Seed, 10), nil
			}
			if err != nil {
				return err
			}
			if err := tx.Put(kindIDSeed, idSeedID, raw); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		seed, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			return fmt.Errorf("resources: stored ID seed %q: %w", raw, err)
		}
		e.ids.seed.Store(seed)
		return nil
	})
}
