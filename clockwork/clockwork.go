// Package clockwork is the fake's one source of time.
//
// Nothing else in stripefake reads the wall clock (webhook signatures aside,
// whose t= receivers check against their own clock). Time is a
// github.com/benbjohnson/clock Clock injected once; by default a Frozen
// clock that moves only when the fake is advanced.
//
// Due work is scheduled by the fake's internal scheduler package as
// store.Job records, read against this clock.
//
// The name is the project's; it is unrelated to github.com/jonboulle/clockwork.
package clockwork

import (
	"sync"
	"time"

	"github.com/benbjohnson/clock"
)

// Frozen is a clock.Clock whose time moves only through Set. Its timers are
// those of an unused clock.Mock and never fire: the fake does not use them.
type Frozen struct {
	*clock.Mock
	mu  sync.Mutex
	now time.Time
}

// NewFrozen returns a Frozen clock reading t.
func NewFrozen(t time.Time) *Frozen { return &Frozen{Mock: clock.NewMock(), now: t} }

// Now returns the clock's time.
func (f *Frozen) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since returns the time elapsed since t on this clock.
func (f *Frozen) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// Until returns the time until t on this clock.
func (f *Frozen) Until(t time.Time) time.Duration { return t.Sub(f.Now()) }

// Set moves the clock to t.
func (f *Frozen) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// WallNow is the real time, truncated to the second: the default start of a
// fake's clock. It is the only read of the wall clock for fake time.
func WallNow() time.Time { return time.Now().Truncate(time.Second) }

// WallUnix is the real Unix time in seconds. Only webhook signing uses it:
// receivers check the t= of a signature against their own real clock.
func WallUnix() int64 { return time.Now().Unix() }

// ReadDeadline is the real time d from now: a network read deadline, which
// the operating system measures against the wall clock. It is not fake
// time and never decides behaviour.
func ReadDeadline(d time.Duration) time.Time { return time.Now().Add(d) }

// Time wraps the injected clock and knows how to move it.
type Time struct {
	c clock.Clock
}

// NewTime wraps c. A *Frozen or *clock.Mock can be moved by Set; any other
// clock moves by itself and Set leaves it alone.
func NewTime(c clock.Clock) *Time { return &Time{c: c} }

// Clock returns the injected clock.
func (t *Time) Clock() clock.Clock { return t.c }

// Now is the fake's current time.
func (t *Time) Now() time.Time { return t.c.Now() }

// Settable reports whether Set can move the clock.
func (t *Time) Settable() bool {
	switch t.c.(type) {
	case *Frozen, *clock.Mock:
		return true
	}
	return false
}

// Set moves the clock forward to at; it never moves it back. A clock.Mock is
// moved with its own Set, which also fires the user's timers on it.
func (t *Time) Set(at time.Time) {
	if !at.After(t.c.Now()) {
		return
	}
	switch c := t.c.(type) {
	case *Frozen:
		c.Set(at)
	case *clock.Mock:
		c.Set(at)
	}
}

// Stopwatch starts measuring wall time and returns what has passed since.
// It serves benchmarks' floors, which measure real cost; the fake's
// behaviour never reads it.
func Stopwatch() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
