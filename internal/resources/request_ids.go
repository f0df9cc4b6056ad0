package resources

import (
	"sync/atomic"

	"github.com/stripefake/stripefake/store"
)

// Request IDs (req_…) are made for every request, reads and refusals
// included, so they cannot cost a write transaction each. Instead each
// lifetime of an engine on a store takes the next value of a counter kept
// in the store, once, at start (BeginRequestIDs), and numbers its requests
// within it: the n-th request of lifetime l gets ID number (l-1)<<40 | n.
// A bbolt fake reopened later so never repeats a request ID, and the first
// lifetime's IDs are those of a fake that never reopened.

// requestLifetimes is the store counter of engine lifetimes.
const requestLifetimes = "request_lifetimes"

// requestIDs numbers the requests of one lifetime.
type requestIDs struct {
	life atomic.Uint64 // lifetime - 1
	n    atomic.Uint64
}

// BeginRequestIDs starts a new lifetime of request IDs, unique in the
// store's history (since its last reset). The fake calls it once at start;
// Reset calls it again.
func (e *Engine) BeginRequestIDs() error {
	var life uint64
	err := e.store.Update(func(tx store.Tx) error {
		var err error
		life, err = tx.NextSequence(requestLifetimes)
		return err
	})
	if err != nil {
		return err
	}
	e.reqs.life.Store(life - 1)
	e.reqs.n.Store(0)
	return nil
}

// NewRequestID returns the next request ID.
func (e *Engine) NewRequestID() string {
	return e.ids.Format("req", e.reqs.life.Load()<<40|e.reqs.n.Add(1))
}
