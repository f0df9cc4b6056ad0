package fake

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// defaultRequestLog is how many requests a fake keeps by default: enough
// for any assertion a test makes, small enough that a long soak test does
// not hold every body it ever sent.
const defaultRequestLog = 10_000

// WithRequestLog keeps only the newest max answered requests for Requests,
// the Assert…Request helpers and GET /_stripefake/requests; older ones are
// dropped as new ones arrive. 0 keeps none: AssertRequest and
// AssertRequestCount then fail, saying the log is off, rather than report
// that nothing was sent. Default 10,000. Recorded Authorization headers
// carry the key masked as Stripe masks it in errors
// (sk_test_****…Aso0), and Close drops the log.
func WithRequestLog(max int) Option { return func(cfg *config) { cfg.requestLog = max } }

// requestLog is a ring of the newest max requests.
type requestLog struct {
	mu      sync.Mutex
	max     int
	ring    []packedRequest // grows to max, then wraps
	next    int             // where the next request goes once the ring is full
	dropped int             // requests answered but no longer (or never) kept
	closed  bool            // the fake closed: nothing is kept any more

	// lastAuth is the last Authorization value masked and its masking:
	// a client sends the same key on every request.
	lastAuth atomic.Pointer[maskedAuth]
}

// add keeps r, packed, with its Authorization key masked.
func (l *requestLog) add(r Request) {
	var p packedRequest
	if l.max > 0 { // max is fixed when the fake starts; pack outside the lock
		var auth []string
		if vs := r.Header.Values("Authorization"); len(vs) > 0 {
			auth = l.masked(vs)
		}
		p = packRequest(&r, auth)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	switch {
	case len(l.ring) < l.max:
		l.ring = append(l.ring, p)
		return
	case l.max == 0:
		l.dropped++
		return
	}
	l.ring[l.next] = p
	l.next = (l.next + 1) % l.max
	l.dropped++
}

// all returns copies of the kept requests, oldest first, and how many
// answered requests are not among them.
func (l *requestLog) all() ([]Request, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, 0, len(l.ring))
	for i := range l.ring {
		out = append(out, l.ring[(l.next+i)%len(l.ring)].unpack())
	}
	return out, l.dropped
}

// reset forgets every request; close also keeps none from then on.
func (l *requestLog) reset(close bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring, l.next, l.dropped = nil, 0, 0
	l.closed = l.closed || close
}

// blind explains why an assertion over requests cannot be trusted: the log
// is off, was dropped by Close, or no longer holds the oldest requests. It
// is "" when every answered request is kept.
func (l *requestLog) blind() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return "the fake is closed and its request log was dropped"
	case l.max == 0:
		return "the request log is off (fake.WithRequestLog(0)), so no request can be seen"
	case l.dropped > 0:
		return fmt.Sprintf("the request log keeps the newest %d requests (fake.WithRequestLog); %d older ones were dropped", l.max, l.dropped)
	}
	return ""
}

func checkRequestLog(max int) error {
	if max < 0 {
		return errors.New("fake: WithRequestLog needs a count of zero or more")
	}
	return nil
}

// masked returns Authorization values with their keys masked by maskKey,
// the masking of Stripe's "Invalid API Key provided" message. The usual
// single value is masked once per key: the result is shared between the
// requests that sent it, and nothing writes to it.
func (l *requestLog) masked(vs []string) []string {
	if len(vs) == 1 {
		if last := l.lastAuth.Load(); last != nil && last.value == vs[0] {
			return last.masked
		}
		masked := []string{maskAuthorization(vs[0])}
		l.lastAuth.Store(&maskedAuth{value: vs[0], masked: masked})
		return masked
	}
	masked := make([]string, len(vs))
	for i, v := range vs {
		masked[i] = maskAuthorization(v)
	}
	return masked
}

// maskedAuth is an Authorization value and its masking.
type maskedAuth struct {
	value  string
	masked []string
}

func maskAuthorization(v string) string {
	scheme, rest, found := strings.Cut(v, " ")
	if !found {
		return maskKey(v) // a bare key
	}
	key := authorizationKey(v)
	if key == "" {
		key = strings.TrimSpace(rest) // a scheme Stripe does not take
	}
	return scheme + " " + maskKey(key)
}
