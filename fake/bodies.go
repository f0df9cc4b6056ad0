package fake

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripefake/stripefake/clockwork"
)

// bodyReadTimeout bounds how long a client may take to send a request body.
// Bodies are read before any store transaction, so a slow client holds no
// lock; the deadline only frees its goroutine and connection.
const bodyReadTimeout = 30 * time.Second

// longAgo is a deadline in the past: a read waiting on it fails at once.
var longAgo = time.Unix(1, 0)

// bodyReads tracks the request bodies being read, so that Close can cut a
// stalled client short instead of waiting for it.
type bodyReads struct {
	mu     sync.Mutex
	closed bool
	active map[*guardedBody]struct{}
}

// guard gives r's body a read deadline and registers it with Close. Its end
// method ends the guard; reaching the end of the body ends it too. It is nil
// when there is nothing to guard.
func (b *bodyReads) guard(w http.ResponseWriter, r *http.Request) *guardedBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	rc := http.NewResponseController(w)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = rc.SetReadDeadline(longAgo)
		return nil
	}
	if b.active == nil {
		b.active = map[*guardedBody]struct{}{}
	}
	g := &guardedBody{ReadCloser: r.Body, reads: b, rc: rc}
	b.active[g] = struct{}{}
	// An in-process request has no connection: ErrNotSupported, and
	// nothing to wait for.
	_ = rc.SetReadDeadline(clockwork.ReadDeadline(bodyReadTimeout))
	b.mu.Unlock()
	r.Body = g
	return g
}

// close fails every body read in progress, and every one to come.
func (b *bodyReads) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for g := range b.active {
		_ = g.rc.SetReadDeadline(longAgo)
	}
}

// guardedBody ends its guard when the body has been read.
type guardedBody struct {
	io.ReadCloser
	reads *bodyReads
	rc    *http.ResponseController
	ended atomic.Bool
}

func (g *guardedBody) Read(p []byte) (int, error) {
	n, err := g.ReadCloser.Read(p)
	if err != nil {
		g.end()
	}
	return n, err
}

// end ends the guard, once; a nil guard has nothing to end.
func (g *guardedBody) end() {
	if g == nil || !g.ended.CompareAndSwap(false, true) {
		return
	}
	b := g.reads
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.active, g)
	if !b.closed {
		// The deadline was for the body; the response has none.
		_ = g.rc.SetReadDeadline(time.Time{})
	}
}
