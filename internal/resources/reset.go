package resources

import (
	"math"

	"github.com/stripefake/stripefake/store"
)

// Reset empties the fake's state and keeps its clock: afterwards the engine
// answers as a new one would at the same time. It waits for a running
// Advance. The store must be one store.Clear can empty.
func (e *Engine) Reset() error {
	e.advance.Lock()
	defer e.advance.Unlock()
	if err := store.Clear(e.store); err != nil {
		return err
	}
	e.idemMu.Lock()
	e.idem = map[string]*idempotencyRecord{}
	e.idemMu.Unlock()
	e.dueMu.Lock()
	e.dueGen++
	e.nextDue.Store(math.MinInt64) // unknown: the next request looks
	e.dueMu.Unlock()
	if err := e.KeepSeed(); err != nil { // the cleared store keeps the configured seed again
		return err
	}
	if err := e.BeginRequestIDs(); err != nil { // the cleared counter restarts them, as a new fake's
		return err
	}
	return e.SaveTime()
}
