package fake

import (
	"fmt"
	"github.com/stripefake/stripefake/internal/apiversion"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/spec"
)

// Fault injection: rules that make matching API requests answer a
// Stripe-shaped error (or drop the connection) instead of being served, and
// rules that make webhook deliveries to an endpoint fail. Rules are methods,
// not options, because tests flip them mid-test. A faulted request changes
// nothing and is recorded in Requests with the status it got (0 if dropped).

// Fault is what a faulted request gets. Build one with the constructors
// (RateLimit, LockTimeout, APIError, CardDeclined, IdempotencyConflict,
// DropConnection), or fill in the fields for any other Stripe error. The zero
// Fault (Pass) lets the request through.
type Fault struct {
	Status      int    // HTTP status
	Type        string // error type, e.g. invalid_request_error
	Code        string // error code, e.g. rate_limit
	DeclineCode string // for card errors
	Message     string
	// Drop closes the connection without an answer, as a network failure
	// would. stripe-go retries it (MaxNetworkRetries). Note that Go's
	// http.Transport itself silently replays a request that carries an
	// Idempotency-Key (stripe-go sends one on every POST) when a reused
	// keep-alive connection drops, so with keep-alives one dropped
	// connection may never reach stripe-go's retry logic.
	Drop bool
}

// Forever, as a count of times, never runs out.
const Forever = -1

// RateLimit is Stripe's test-mode 429 rate_limit. stripe-go v85 does not
// retry it.
func RateLimit() Fault {
	return Fault{Status: http.StatusTooManyRequests, Type: apierr.TypeInvalidRequest, Code: "rate_limit",
		Message: "Testmode request rate limit exceeded, the rate limits in testmode are lower than livemode. You can learn more about rate limits here https://stripe.com/docs/rate-limits."}
}

// LockTimeout is Stripe's 429 lock_timeout: the one API error stripe-go
// v85 retries.
func LockTimeout() Fault {
	return Fault{Status: http.StatusTooManyRequests, Type: apierr.TypeInvalidRequest, Code: "lock_timeout",
		Message: "This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request. If you see this error frequently and are making multiple concurrent requests to a single object, make your requests serially or at a lower rate."}
}

// APIError is a 500 api_error. stripe-go v85 does not retry it: the body
// is a Stripe error.
func APIError() Fault {
	return Fault{Status: http.StatusInternalServerError, Type: apierr.TypeAPI,
		Message: "An unknown error occurred. Please try again later, or contact support at https://support.stripe.com/ if the problem persists."}
}

// CardDeclined is a 402 card_error card_declined with declineCode (e.g.
// generic_decline, insufficient_funds), worded as Stripe words it.
func CardDeclined(declineCode string) Fault {
	msg := "Your card was declined."
	if declineCode == "insufficient_funds" {
		msg = "Your card has insufficient funds."
	}
	return Fault{Status: http.StatusPaymentRequired, Type: apierr.TypeCard, Code: "card_declined", DeclineCode: declineCode, Message: msg}
}

// IdempotencyConflict is Stripe's 409 idempotency_key_in_use, as when
// another request with the same Idempotency-Key is in flight.
func IdempotencyConflict() Fault {
	return Fault{Status: http.StatusConflict, Type: apierr.TypeInvalidRequest, Code: "idempotency_key_in_use",
		Message: "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {idempotency_key}. Please try again later."}
}

// DropConnection closes the connection without an answer.
func DropConnection() Fault { return Fault{Drop: true} }

// Pass lets a request through: a step of FailSequence that succeeds.
func Pass() Fault { return Fault{} }

func (ft Fault) pass() bool { return ft == Fault{} }

// apiError is the fault as the error the HTTP layer renders, with
// {idempotency_key} in the message replaced by the request's key.
func (ft Fault) apiError(r *http.Request) *apierr.Error {
	msg := strings.ReplaceAll(ft.Message, "{idempotency_key}", strings.TrimSpace(r.Header.Get("Idempotency-Key")))
	status, typ := ft.Status, ft.Type
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if typ == "" {
		typ = apierr.TypeAPI
	}
	e := apierr.New(status, typ, ft.Code, "", msg)
	e.DeclineCode = ft.DeclineCode
	return e
}

// FaultRule is one injected rule; Remove it to stop it early.
type FaultRule struct {
	set      *faultSet
	pattern  requestPattern // for API requests
	endpoint string         // for webhook deliveries
	seq      []Fault        // FailSequence: one fault per match, then spent
	fault    Fault          // FailRequests and FailWebhooks: the same fault...
	times    int            // ...this many times, or Forever
	hits     int
}

// Hits returns how many requests or deliveries the rule has answered, Pass
// steps included.
func (r *FaultRule) Hits() int {
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	return r.hits
}

// Remove stops the rule. Removing it twice is harmless.
func (r *FaultRule) Remove() {
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	r.set.remove(r)
}

// faultSet holds a fake's rules, oldest first; the first that matches wins.
type faultSet struct {
	mu    sync.Mutex
	rules []*FaultRule
}

func (s *faultSet) add(r *FaultRule) *FaultRule {
	r.set = s
	s.mu.Lock()
	s.rules = append(s.rules, r)
	s.mu.Unlock()
	return r
}

func (s *faultSet) remove(r *FaultRule) {
	for i, x := range s.rules {
		if x == r {
			s.rules = append(s.rules[:i:i], s.rules[i+1:]...)
			return
		}
	}
}

// take returns the next fault of the first rule that matches, using it up.
func (s *faultSet) take(match func(*FaultRule) bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rules {
		if !match(r) {
			continue
		}
		r.hits++
		ft := r.fault
		if r.seq != nil {
			ft = r.seq[r.hits-1]
			if r.hits == len(r.seq) {
				s.remove(r)
			}
		} else if r.times != Forever && r.hits >= r.times {
			s.remove(r)
		}
		return ft, !ft.pass()
	}
	return Fault{}, false
}

// forRequest returns the fault r gets, if any.
func (s *faultSet) forRequest(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	empty := len(s.rules) == 0
	s.mu.Unlock()
	if empty {
		return Fault{}, false
	}
	route := routeOf(r)
	return s.take(func(rule *FaultRule) bool {
		return rule.endpoint == "" && rule.pattern.match(r.Method, r.URL.Path, route)
	})
}

// forWebhook reports whether the next delivery to endpoint fails.
func (s *faultSet) forWebhook(endpoint string) bool {
	_, ok := s.take(func(rule *FaultRule) bool { return rule.endpoint == endpoint })
	return ok
}

// serveFault answers an injected fault.
func (f *Fake) serveFault(r *http.Request, rec *Request, fault Fault) resources.Response {
	describeFaulted(r, rec, f.engine.APIVersion())
	return fail(fault.apiError(r))
}

// drop closes the connection without an answer and records the request
// with status 0.
func (f *Fake) drop(w http.ResponseWriter, r *http.Request, rec *Request) {
	describeFaulted(r, rec, f.engine.APIVersion())
	f.log.add(*rec)
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // the server aborts the answer
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// describeFaulted records of a faulted request what serving it would have.
func describeFaulted(r *http.Request, rec *Request, def apiversion.Version) {
	rec.StripeVersion = def.String()
	if v, err := servedVersion(r.Header.Get("Stripe-Version"), def); err == nil {
		rec.StripeVersion = v.String()
	}
	rec.Params, _, _ = decodeParams(r)
	rec.Route = routeOf(r)
}

// routeOf returns the spec pattern r's path matches, or "".
func routeOf(r *http.Request) string {
	if op, _, ok := spec.Match(r.Method, r.URL.EscapedPath()); ok {
		return op.Pattern
	}
	return ""
}

// requestPattern matches requests: "[METHOD ]PATH", where METHOD may be
// omitted or "*" for any method, and PATH is a literal path
// (/v1/customers/cus_123), a route with placeholders
// (/v1/customers/{customer}; any {name} stands for one path segment where
// the route has a parameter, whatever the spec calls it), a prefix ending
// in "*" (/v1/invoices/*), or "*" for any path.
type requestPattern struct {
	method, path string
}

func parsePattern(s string) (requestPattern, error) {
	method, path, found := strings.Cut(strings.TrimSpace(s), " ")
	if !found {
		method, path = "*", method
	}
	path = strings.TrimSpace(path)
	method = strings.ToUpper(method)
	if path == "" || (path[0] != '/' && path != "*") {
		return requestPattern{}, fmt.Errorf("fake: bad request pattern %q: want \"METHOD /v1/path\", e.g. \"POST /v1/customers/{customer}\"", s)
	}
	return requestPattern{method: method, path: path}, nil
}

// compilePattern parses s and checks that it can match a route the fake
// serves: a pattern that never fires is a mistake in the test, reported
// with the closest routes.
func (f *Fake) compilePattern(s string) (requestPattern, error) {
	p, err := parsePattern(s)
	if err != nil {
		return p, err
	}
	routes := f.Routes()
	for _, r := range routes {
		if p.couldMatch(r) {
			return p, nil
		}
	}
	return p, fmt.Errorf("fake: request pattern %q matches no route of the fake; closest: %s",
		s, strings.Join(closestRoutes(p.String(), routes, 3), ", "))
}

func (p requestPattern) match(method, path, route string) bool {
	if p.method != "*" && p.method != method {
		return false
	}
	switch {
	case p.path == "*":
		return true
	case strings.HasSuffix(p.path, "*"):
		return strings.HasPrefix(path, strings.TrimSuffix(p.path, "*"))
	case p.path == path:
		return true
	}
	if route == "" {
		return false
	}
	ps, xs, rs := strings.Split(p.path, "/"), strings.Split(path, "/"), strings.Split(route, "/")
	if len(ps) != len(rs) {
		return false
	}
	if len(xs) != len(rs) {
		xs = rs // an ID with an escaped "/": only placeholders can match it
	}
	for i := range ps {
		if isPlaceholder(ps[i]) {
			if !isPlaceholder(rs[i]) {
				return false
			}
		} else if ps[i] != xs[i] && ps[i] != rs[i] {
			return false
		}
	}
	return true
}

// couldMatch reports whether some request to route ("METHOD /path/{param}")
// matches p.
func (p requestPattern) couldMatch(route string) bool {
	method, path, _ := strings.Cut(route, " ")
	if p.method != "*" && p.method != method {
		return false
	}
	if p.path == "*" {
		return true
	}
	rs := strings.Split(path, "/")
	if prefix, ok := strings.CutSuffix(p.path, "*"); ok {
		ps := strings.Split(prefix, "/")
		if len(ps) > len(rs) {
			return false
		}
		last := len(ps) - 1
		for i := range last {
			if !segmentCouldMatch(ps[i], rs[i]) {
				return false
			}
		}
		return isPlaceholder(rs[last]) || strings.HasPrefix(rs[last], ps[last])
	}
	ps := strings.Split(p.path, "/")
	if len(ps) != len(rs) {
		return false
	}
	for i := range ps {
		if !segmentCouldMatch(ps[i], rs[i]) {
			return false
		}
	}
	return true
}

// segmentCouldMatch reports whether pattern segment p can match route
// segment r: a placeholder only a parameter, a literal the same literal or
// a parameter.
func segmentCouldMatch(p, r string) bool {
	if isPlaceholder(p) {
		return isPlaceholder(r)
	}
	return p == r || isPlaceholder(r)
}

func isPlaceholder(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// closestRoutes returns the n routes nearest to s by edit distance.
func closestRoutes(s string, routes []string, n int) []string {
	type scored struct {
		route string
		d     int
	}
	all := make([]scored, len(routes))
	for i, r := range routes {
		all[i] = scored{r, editDistance(s, r)}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].d < all[j].d })
	out := []string{}
	for i := 0; i < n && i < len(all); i++ {
		out = append(out, all[i].route)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (p requestPattern) String() string { return p.method + " " + p.path }

// FailRequests makes the next times requests matching pattern answer fault
// instead of being served (times 1: once; Forever: until removed). pattern
// is "[METHOD ]PATH": "POST /v1/customers", "POST
// /v1/customers/{customer}", "GET /v1/invoices/*", "*"; a {name} matches
// one segment wherever the route has a parameter, whatever its name. Rules
// are tried in the order they were added; the first that matches answers.
// A pattern that can match no route of the fake stops the test at once
// (tb.Fatalf; a fake from Start panics), naming the closest routes.
func (f *Fake) FailRequests(pattern string, times int, fault Fault) *FaultRule {
	p, err := f.compilePattern(pattern)
	if err != nil {
		f.fatal(err)
		return &FaultRule{set: &faultSet{}}
	}
	if times < 1 && times != Forever {
		f.fail(fmt.Errorf("fake: FailRequests needs times of 1 or more, or Forever; got %d", times))
		return &FaultRule{set: &faultSet{}}
	}
	return f.faults.add(&FaultRule{pattern: p, fault: fault, times: times})
}

// FailSequence answers the requests matching pattern with faults in turn,
// one each, then lets requests through: FailSequence(p, LockTimeout(),
// LockTimeout()) fails twice then succeeds. A Pass step lets that request
// through. pattern is as for FailRequests, and stops the test the same way
// when it can match no route.
func (f *Fake) FailSequence(pattern string, faults ...Fault) *FaultRule {
	p, err := f.compilePattern(pattern)
	if err != nil {
		f.fatal(err)
		return &FaultRule{set: &faultSet{}}
	}
	if len(faults) == 0 {
		f.fail(fmt.Errorf("fake: FailSequence needs at least one fault"))
		return &FaultRule{set: &faultSet{}}
	}
	return f.faults.add(&FaultRule{pattern: p, seq: append([]Fault(nil), faults...)})
}

// FailWebhooks makes the next times delivery attempts to the webhook
// endpoint endpointID fail without reaching the receiver (times 1: once;
// Forever: until removed), as if it could not be reached. Failed deliveries
// are retried on the fake's clock as usual.
func (f *Fake) FailWebhooks(endpointID string, times int) *FaultRule {
	if times < 1 && times != Forever {
		f.fail(fmt.Errorf("fake: FailWebhooks needs times of 1 or more, or Forever; got %d", times))
		return &FaultRule{set: &faultSet{}}
	}
	return f.faults.add(&FaultRule{endpoint: endpointID, fault: DropConnection(), times: times})
}

// ClearFaults removes every fault rule.
func (f *Fake) ClearFaults() {
	f.faults.mu.Lock()
	f.faults.rules = nil
	f.faults.mu.Unlock()
}
