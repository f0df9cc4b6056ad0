package resources

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// DefaultAPIVersion is the version the fake renders when a request names
// none: the one stripe-go v85 pins.
const DefaultAPIVersion = "2026-03-25.dahlia"

// Config is the Stripe behaviour the fake's options can change.
type Config struct {
	// Seed makes the IDs of one fake differ from another's; the same seed
	// gives the same IDs for the same sequence of calls.
	Seed uint64
	// IdempotencyTTL is how long an idempotency key is kept, in fake time.
	IdempotencyTTL time.Duration
	// Subscriptions holds the subscription lifecycle's knobs: retries,
	// final actions, trial and incomplete timings.
	Subscriptions SubscriptionsConfig
	// Invoicing holds the invoice lifecycle's knobs: finalization delay,
	// payment terms, retries of standalone invoices.
	Invoicing InvoicingConfig
	// Quotes holds the quote lifecycle's knobs: default expiry and what
	// accepting a one-time quote does to its invoice.
	Quotes QuotesConfig
	// Portal holds the customer portal's session lifetimes.
	Portal PortalConfig
	// APIVersion is the account's default API version: for requests that
	// name none, webhook endpoints without api_version, and the clock's
	// work. Empty means DefaultAPIVersion.
	APIVersion apiversion.Version
}

// DefaultConfig returns Stripe's behaviour.
func DefaultConfig() Config {
	return Config{
		IdempotencyTTL: 24 * time.Hour,
		Subscriptions:  DefaultSubscriptionsConfig(),
		Invoicing:      DefaultInvoicingConfig(),
		Quotes:         DefaultQuotesConfig(),
		Portal:         DefaultPortalConfig(),
	}
}

// Handler serves one route. It returns the object to render.
type Handler func(c *Ctx) (any, error)

// JobFunc runs one due job of its kind inside a write transaction; c.Now()
// is the job's due time.
type JobFunc func(c *Ctx, j store.Job) error

// Route is one endpoint the fake implements, named by the spec's pattern.
type Route struct {
	Method  string
	Pattern string // e.g. "/v1/customers/{customer}"
	Handle  Handler
	Read    bool // runs in a read-only transaction
	// ContentType is the type of a successful answer that is not JSON, such
	// as a quote's PDF; the handler returns the bytes.
	ContentType string
}

// Kind describes a stored object type for expansion and error messages.
type Kind struct {
	Object string // the object's "object" value, e.g. "customer"
	// NoSuch is the name in "No such <name>: 'id'" when it differs from
	// Object (payment methods say "PaymentMethod").
	NoSuch string
	// Load returns the object with id ready to render, or a store.ErrNotFound.
	Load func(c *Ctx, id string) (any, error)
	// Wire, when set, reports whether a record's stored bytes are already
	// what rendering its object for version v gives before the version
	// chain runs: list and search pages then answer the bytes instead of
	// decoding and encoding them again.
	Wire func(v apiversion.Version, raw []byte) bool
}

// Engine runs Stripe's behaviour over a store and a clock. It is safe for
// concurrent use; writes are serialized by the store's write transaction.
type Engine struct {
	store   store.Store
	clock   *clockwork.Time // the fake's clock; a test clock's time comes from its record
	ids     *IDs
	reqs    requestIDs // request_ids.go
	cfg     Config
	deliver Webhooks // how events reach endpoints: webhook_delivery.go
	// jobDropped hears of a scheduled job dropped because it failed a
	// business rule (SetJobDropped).
	jobDropped func(error)
	decoded    decodedCache // records' decoded values, for Ctx.load: decoded_cache.go

	// registry holds what the families registered. It is built once and
	// shared by every engine (building it is most of the cost of starting a
	// fake); an engine that registers more, as white-box tests do, gets its
	// own copy first.
	*registry
	ownRegistry bool

	advance  sync.Mutex // one Advance or due-work run at a time
	inflight sync.Map   // idempotency keys of requests being served

	// nextDue caches the due time (UnixNano) of the earliest job on the
	// fake's own timeline, so that a request finds "nothing due" without a
	// transaction. Every job is scheduled through Ctx.schedule, which lowers
	// it; a drain sets it from the store.
	nextDue atomic.Int64
	dueMu   sync.Mutex // orders writers of nextDue
	dueGen  uint64     // counts noteScheduled calls, under dueMu

	// idem holds idempotency records. They live in memory, not the store:
	// keys matter for retries within one process, and keeping them out of
	// the request's transaction saves a write per POST.
	idemMu sync.Mutex
	idem   map[string]*idempotencyRecord

	baseURL atomic.Pointer[string]
}

// registry is what resource families register: routes, object kinds, job
// runners, pages and test clock hooks.
type registry struct {
	routes     map[string]*Route
	kinds      map[string]*Kind
	jobs       map[string]JobFunc
	pages      []pageRoute
	clockHooks testClockHooks // what test clock deletes and advances consult
}

func newRegistry() *registry {
	return &registry{routes: map[string]*Route{}, kinds: map[string]*Kind{}, jobs: map[string]JobFunc{}}
}

func (r *registry) clone() *registry {
	c := &registry{
		routes: maps.Clone(r.routes), kinds: maps.Clone(r.kinds), jobs: maps.Clone(r.jobs),
		pages: slices.Clone(r.pages),
		clockHooks: testClockHooks{
			deletes: slices.Clone(r.clockHooks.deletes), limits: slices.Clone(r.clockHooks.limits),
		},
	}
	return c
}

var shared struct {
	once sync.Once
	reg  *registry
}

// baseRegistry runs every family's register function once.
func baseRegistry() *registry {
	shared.once.Do(func() {
		scratch := &Engine{registry: newRegistry(), ownRegistry: true}
		for _, register := range families {
			register(scratch)
		}
		shared.reg = scratch.registry
	})
	return shared.reg
}

// own gives e a registry of its own before it registers anything.
func (e *Engine) own() {
	if !e.ownRegistry {
		e.registry, e.ownRegistry = e.registry.clone(), true
	}
}

// NewEngine returns an engine with every resource family registered.
func NewEngine(st store.Store, t *clockwork.Time, cfg Config) *Engine {
	e := &Engine{
		store:    st,
		clock:    t,
		ids:      NewIDs(cfg.Seed),
		cfg:      cfg,
		registry: baseRegistry(),
		idem:     map[string]*idempotencyRecord{},
	}
	e.nextDue.Store(math.MinInt64) // unknown until the first look
	return e
}

// families are the register functions of each resource family file.
var families []func(*Engine)

// IDs returns the engine's ID source.
func (e *Engine) IDs() *IDs { return e.ids }

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.store }

// Now returns the fake clock's time.
func (e *Engine) Now() time.Time { return e.clock.Now() }

func (e *Engine) route(r Route) {
	e.own()
	key := r.Method + " " + r.Pattern
	if _, dup := e.routes[key]; dup {
		panic("resources: route registered twice: " + key)
	}
	e.routes[key] = &r
}

func (e *Engine) kind(k Kind) { e.own(); e.kinds[k.Object] = &k }

func (e *Engine) job(kind string, fn JobFunc) { e.own(); e.jobs[kind] = fn }

// Implements reports whether the engine serves method and pattern.
func (e *Engine) Implements(method, pattern string) bool {
	_, ok := e.routes[method+" "+pattern]
	return ok
}

// Routes returns the implemented routes as "METHOD pattern", sorted.
func (e *Engine) Routes() []string {
	out := make([]string, 0, len(e.routes))
	for k := range e.routes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Call is one API request as the engine sees it: already authenticated,
// routed and validated.
type Call struct {
	Method         string
	Pattern        string
	Path           string // the request path, for idempotency comparisons
	Vars           map[string]string
	Params         map[string]any
	Version        apiversion.Version // "" for the account's default
	RequestID      string
	IdempotencyKey string
	Fingerprint    string // canonical form of the params, for idempotency
}

// Response is the engine's answer.
type Response struct {
	Status          int
	Body            []byte
	ContentType     string // "" for JSON
	Replayed        bool   // answered from the idempotency store
	OriginalRequest string // the request ID that first produced Body
}

// idempotencyRecord is what a key remembers.
type idempotencyRecord struct {
	method, path, fingerprint string
	status                    int
	body                      []byte
	requestID                 string
	created                   time.Time // fake time
}

// Serve runs one call: due work first, then the handler in one
// transaction, events in that transaction, webhooks after commit.
func (e *Engine) Serve(call Call) (resp Response) {
	// A bug in a handler answers a 500 naming it, rather than dropping the
	// connection (which stripe-go would retry with the same key).
	defer func() {
		if p := recover(); p != nil {
			resp = errorResponse(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	if err := e.RunDue(); err != nil {
		return errorResponse(err)
	}
	r, ok := e.routes[call.Method+" "+call.Pattern]
	if !ok {
		return errorResponse(apierr.NotImplemented(call.Method, call.Pattern))
	}
	key := call.IdempotencyKey
	if call.Method != http.MethodPost || r.Read {
		key = "" // keys only apply to POST
	}
	if key != "" {
		if _, busy := e.inflight.LoadOrStore(key, true); busy {
			return errorResponse(apierr.New(http.StatusConflict, apierr.TypeInvalidRequest, "idempotency_key_in_use", "",
				"There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): "+key+". Please try again later."))
		}
		defer e.inflight.Delete(key)
	}

	c := e.newCtx(call)
	if key != "" {
		if resp, found, err := e.idempotent(c, key); err != nil || found {
			if err != nil {
				return errorResponse(err)
			}
			return resp
		}
	}
	if r.Read {
		err := e.store.View(func(tx store.Tx) error {
			c.tx = tx
			resp = e.run(c, r)
			c.checkViews()
			return nil
		})
		if err != nil {
			return errorResponse(err)
		}
		return resp
	}

	var handlerErr error
	err := e.store.Update(func(tx store.Tx) error {
		c.begin(tx)
		obj, err := r.Handle(c)
		if err == nil {
			var body []byte
			body, err = e.renderResponse(c, obj)
			resp = Response{Status: http.StatusOK, Body: body}
		}
		if err = c.finish(err); err != nil {
			handlerErr = err
		}
		return err // an error rolls back every write
	})
	if handlerErr != nil {
		resp = errorResponse(handlerErr)
		if storesForIdempotency(handlerErr) {
			// The endpoint ran, so Stripe keeps its answer for the key even
			// though every write was rolled back.
			e.remember(c, key, resp)
		}
		return resp
	}
	if err != nil {
		return errorResponse(err)
	}
	// The key is kept before any webhook is delivered: nothing a receiver
	// does (fail, stop its goroutine, call back with the same key) may run a
	// committed request twice.
	e.remember(c, key, resp)
	if err := e.afterCommit(c); err != nil {
		resp = errorResponse(err)
		if storesForIdempotency(err) {
			// A decline found after the commit (paying an invoice, a
			// charge, a payment intent) is the request's answer: a retry
			// with the key replays it, not the 200 kept above.
			e.remember(c, key, resp)
		}
	}
	return resp
}

// storesForIdempotency reports whether an error answer is kept for the key:
// business-rule and card errors are, internal failures are not.
func storesForIdempotency(err error) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Status < 500
}

func (e *Engine) idempotent(c *Ctx, key string) (Response, bool, error) {
	e.idemMu.Lock()
	rec, ok := e.idem[key]
	if ok && c.started.Sub(rec.created) >= e.cfg.IdempotencyTTL {
		delete(e.idem, key) // pruned: runs as a new request
		ok = false
	}
	e.idemMu.Unlock()
	if !ok {
		return Response{}, false, nil
	}
	if rec.path != c.call.Path || rec.method != c.call.Method {
		return Response{}, false, apierr.New(http.StatusBadRequest, apierr.TypeIdempotency, "", "", fmt.Sprintf(
			"Keys for idempotent requests can only be used for the same endpoint they were first used for ('%s' vs '%s'). Try using a key other than '%s' if you meant to execute a different request.",
			rec.path, c.call.Path, key))
	}
	if rec.fingerprint != c.call.Fingerprint {
		return Response{}, false, apierr.New(http.StatusBadRequest, apierr.TypeIdempotency, "", "", fmt.Sprintf(
			"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", key))
	}
	return Response{Status: rec.status, Body: rec.body, Replayed: true, OriginalRequest: rec.requestID}, true, nil
}

// remember keeps resp for key. Expired records are dropped now and then so
// that a long test does not grow the map without bound.
func (e *Engine) remember(c *Ctx, key string, resp Response) {
	if key == "" {
		return
	}
	e.idemMu.Lock()
	defer e.idemMu.Unlock()
	if len(e.idem) >= 4096 && len(e.idem)%1024 == 0 {
		for k, rec := range e.idem {
			if c.started.Sub(rec.created) >= e.cfg.IdempotencyTTL {
				delete(e.idem, k)
			}
		}
	}
	e.idem[key] = &idempotencyRecord{
		method: c.call.Method, path: c.call.Path, fingerprint: c.call.Fingerprint,
		// The fake's clock, not c.now: a handler acting for a test-clock
		// customer moves c.now to the clock's time.
		status: resp.Status, body: resp.Body, requestID: c.call.RequestID, created: c.started,
	}
}

// run serves a read-only route.
func (e *Engine) run(c *Ctx, r *Route) Response {
	obj, err := r.Handle(c)
	if err != nil {
		return errorResponse(err)
	}
	body, err := e.renderResponse(c, obj)
	if err != nil {
		return errorResponse(err)
	}
	return Response{Status: http.StatusOK, Body: body, ContentType: r.ContentType}
}

// APIVersion is the account's default API version.
func (e *Engine) APIVersion() apiversion.Version {
	if e.cfg.APIVersion == "" {
		return DefaultAPIVersion
	}
	return e.cfg.APIVersion
}

// begin starts c's write transaction tx and reads "now" inside it, so that
// writes stamp their times in commit order: a time read before the
// transaction began could predate work an Advance committed meanwhile.
// Scheduled jobs keep their due time instead (drain).
func (c *Ctx) begin(tx store.Tx) {
	c.bindWrite(tx)
	c.now = c.e.clock.Now()
	c.started = c.now
}

func (e *Engine) newCtx(call Call) *Ctx {
	now := e.clock.Now()
	c := &Ctx{e: e, now: now, started: now, call: call, Params: NewParams(call.Params), Vars: call.Vars, Version: call.Version}
	if c.Version == "" {
		c.Version = e.APIVersion()
	}
	return c
}

// noteDrained records what the fake's own timeline holds after a drain
// looked at it. gen is dueGen read before that look: if a job was scheduled
// since, the look may have missed it, so the cache may only go down.
func (e *Engine) noteDrained(next time.Time, any bool, gen uint64) {
	n := int64(math.MaxInt64)
	if any {
		n = next.UnixNano()
	}
	e.dueMu.Lock()
	defer e.dueMu.Unlock()
	if e.dueGen == gen || n < e.nextDue.Load() {
		e.nextDue.Store(n)
	}
}

// noteScheduled lowers the cached next due time to due.
func (e *Engine) noteScheduled(due time.Time) {
	n := due.UnixNano()
	e.dueMu.Lock()
	defer e.dueMu.Unlock()
	e.dueGen++
	if n < e.nextDue.Load() {
		e.nextDue.Store(n)
	}
}

func (e *Engine) dueGeneration() uint64 {
	e.dueMu.Lock()
	defer e.dueMu.Unlock()
	return e.dueGen
}

// afterCommit runs once a transaction has committed: it updates the
// next-due cache, hands the events to webhooks, then runs the Ctx's after
// functions. An after function's error is returned: the commit stands, but
// the caller should hear that the follow-up failed.
func (e *Engine) afterCommit(c *Ctx) error {
	if c.scheduled {
		e.noteScheduled(c.earliest)
	}
	if len(c.deliveries) > 0 {
		if err := e.deliverEvents(c); err != nil {
			return err
		}
	}
	for _, fn := range c.afterFns {
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}

// RunDue runs every job of the fake's own timeline that is due by now. The
// HTTP layer calls it before serving each request, so work that fell due on
// a clock moved from outside (an injected clock.Mock or a real clock) has
// happened before the request sees the state.
func (e *Engine) RunDue() error {
	if e.clock.Now().UnixNano() < e.nextDue.Load() {
		return nil // nothing due: the common case costs no transaction
	}
	// A run already under way (an Advance whose webhook handler calls back
	// into the fake) covers this work; waiting for it would deadlock.
	if !e.advance.TryLock() {
		return nil
	}
	defer e.advance.Unlock()
	return e.drain(scheduler.DefaultTimeline, e.clock.Now(), func(time.Time) {})
}

// AdvanceTo moves the fake's clock to target, running every job of the
// fake's own timeline due by then in (due, sequence) order, with the clock
// set to their due time (drain: those due at one instant share a
// transaction, up to jobBatch).
func (e *Engine) AdvanceTo(target time.Time) error {
	e.advance.Lock()
	defer e.advance.Unlock()
	err := e.drain(scheduler.DefaultTimeline, target, func(due time.Time) { e.clock.Set(due) })
	e.clock.Set(target)
	if err != nil {
		return err
	}
	return e.SaveTime() // so that a reopened store resumes here: clockstate.go
}

// drain pops and runs the jobs of timeline due by target, in (due,
// sequence) order. setNow is told each due time before its jobs run.
//
// Jobs due at the same instant run in one transaction, up to jobBatch of
// them, each with its own Ctx, and their events are delivered in order
// once it commits: time stands still in the fake between calls, so what a
// test creates together falls due together, and one commit for a hundred
// renewals costs a bbolt file far less than a hundred. If a job of a batch
// fails, the batch is rolled back and its jobs run again one per
// transaction, so the jobs before the failing one stay committed, as they
// would have been alone.
func (e *Engine) drain(timeline string, target time.Time, setNow func(time.Time)) error {
	batch := jobBatch
	return scheduler.Drain(func() (int, error) {
		// A cheap look first: most requests find nothing due.
		var next time.Time
		var any bool
		gen := e.dueGeneration()
		if err := e.store.View(func(tx store.Tx) error {
			var err error
			next, any, err = scheduler.NextDue(tx, timeline)
			return err
		}); err != nil || !any || next.After(target) {
			if err == nil && timeline == scheduler.DefaultTimeline {
				e.noteDrained(next, any, gen)
			}
			return 0, err
		}
		setNow(next)
		ran, committed, failed, err := e.runJobs(timeline, target, batch)
		if err != nil && !committed && batch > 1 && ran > 0 {
			batch = 1 // from here on, one job per transaction
			ran, committed, failed, err = e.runJobs(timeline, target, 1)
		}
		if err != nil && !committed && ran == 0 && failed.Kind != "" && isBusinessError(err) {
			// The job failed first in its transaction: nothing before it
			// in the batch caused it.
			return e.dropJob(failed, err)
		}
		return ran, err
	})
}

// isBusinessError reports whether err is one of Stripe's 4xx answers: what
// a job meets when input it was scheduled with breaks a rule only checked
// when it runs.
func isBusinessError(err error) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Status < 500
}

// SetJobDropped installs fn to hear of every scheduled job dropped because
// it failed a business rule. Call it before serving.
func (e *Engine) SetJobDropped(fn func(error)) { e.jobDropped = fn }

// dropJob removes job j, which failed with cause (a business rule, in a
// transaction that was rolled back), and reports it: a job that can never
// succeed would otherwise fail every later request and Advance. What it
// would have done does not happen. (Removing a job that is gone is no
// error.)
func (e *Engine) dropJob(j store.Job, cause error) (int, error) {
	if err := e.store.Update(func(tx store.Tx) error { return tx.RemoveJob(j) }); err != nil {
		return 0, err
	}
	if e.jobDropped != nil {
		e.jobDropped(fmt.Errorf("stripefake: the scheduled %s of %s due %s failed and was dropped: %w",
			j.Kind, j.ObjectID, j.Due.UTC().Format(time.RFC3339), cause))
	}
	return 1, nil
}

// jobBatch bounds the jobs due at one instant that share a transaction.
const jobBatch = 64

// runJobs runs, in one transaction, the first due job of timeline and up
// to max-1 more due at the same instant, then does what follows the
// commit for each, all of them even if one fails (its first error is
// returned, with committed true). If a job fails, nothing is committed
// and ran counts the jobs that ran before it.
func (e *Engine) runJobs(timeline string, target time.Time, max int) (ran int, committed bool, failed store.Job, err error) {
	var ctxs []*Ctx
	err = e.store.Update(func(tx store.Tx) error {
		ctxs = ctxs[:0]
		var due time.Time
		for len(ctxs) < max {
			j, ok, err := tx.NextJob(timeline)
			if err != nil {
				return err
			}
			if !ok || j.Due.After(target) || len(ctxs) > 0 && !j.Due.Equal(due) {
				break
			}
			if err := tx.RemoveJob(j); err != nil {
				return err
			}
			if len(ctxs) == 0 {
				due = j.Due
				if timeline == scheduler.DefaultTimeline {
					// The clock moves with the job, in its transaction.
					if err := saveTime(tx, j.Due); err != nil {
						return err
					}
				}
			}
			c := e.newCtx(Call{})
			c.automatic = true
			c.bindWrite(tx)
			c.now = j.Due
			c.timeline = j.Timeline
			fn, known := e.jobs[j.Kind]
			if !known {
				return fmt.Errorf("resources: no runner for job kind %q", j.Kind)
			}
			jobErr := fn(c, j)
			if jobErr != nil {
				failed = j
			}
			if err := c.finish(jobErr); err != nil {
				return err
			}
			ctxs = append(ctxs, c)
		}
		return nil
	})
	if err != nil {
		return len(ctxs), false, failed, fmt.Errorf("resources: running scheduled job: %w", err)
	}
	for _, c := range ctxs {
		if after := e.afterCommit(c); after != nil && err == nil {
			err = after
		}
	}
	return len(ctxs), true, store.Job{}, err
}

// Jobs returns the pending jobs, for Dump-style output.
func (e *Engine) Jobs() ([]store.Job, error) {
	var jobs []store.Job
	err := e.store.View(func(tx store.Tx) error {
		var err error
		jobs, err = tx.Jobs()
		return err
	})
	return jobs, err
}

// Do runs fn in one write transaction as an automatic (request-less)
// process, delivering its events after commit. Test-side helpers use it to
// run the same resource code as the HTTP handlers.
func (e *Engine) Do(fn func(c *Ctx) error) error {
	c := e.newCtx(Call{})
	c.automatic = true
	err := e.store.Update(func(tx store.Tx) error {
		c.begin(tx)
		return c.finish(fn(c))
	})
	if err != nil {
		return err
	}
	return e.afterCommit(c)
}

// doDue is Do for a test-side helper acting as a user would at the fake's
// now: what fell due runs first, as before a request.
func (e *Engine) doDue(fn func(c *Ctx) error) error {
	if err := e.RunDue(); err != nil {
		return err
	}
	return e.Do(fn)
}

// View runs fn in one read transaction.
func (e *Engine) View(fn func(c *Ctx) error) error {
	c := e.newCtx(Call{})
	return e.store.View(func(tx store.Tx) error {
		c.tx = tx
		defer c.checkViews()
		return fn(c)
	})
}

// ErrorBody renders err as Stripe's error envelope with its status. Errors
// that are not *apierr.Error become a 500 api_error naming the cause.
func ErrorBody(err error) (int, []byte) {
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		ae = apierr.New(http.StatusInternalServerError, apierr.TypeAPI, "", "", "stripefake internal error: "+err.Error())
	}
	inner := map[string]any{"type": ae.Type, "message": ae.Message}
	if ae.Code != "" {
		inner["code"] = ae.Code
	}
	if ae.DocURL != "" {
		inner["doc_url"] = ae.DocURL
	}
	if ae.Param != "" {
		inner["param"] = ae.Param
	}
	if ae.DeclineCode != "" {
		inner["decline_code"] = ae.DeclineCode
	}
	if ae.Charge != "" {
		inner["charge"] = ae.Charge
	}
	for k, v := range ae.Extra {
		inner[k] = v
	}
	body, _ := json.Marshal(map[string]any{"error": inner})
	return ae.Status, body
}

func errorResponse(err error) Response {
	status, body := ErrorBody(err)
	return Response{Status: status, Body: body}
}

// noSuch is the 404 for an ID in the path, or the 400 for an ID in a param.
func (e *Engine) noSuch(object, id, param string) error {
	name := object
	if k, ok := e.kinds[object]; ok && k.NoSuch != "" {
		name = k.NoSuch
	}
	status := http.StatusBadRequest
	if param == "id" {
		status = http.StatusNotFound
	}
	return apierr.NoSuch(status, name, id, param)
}

// trimPrefix returns id's prefix up to the first underscore.
func idPrefix(id string) string {
	if i := strings.IndexByte(id, '_'); i > 0 {
		return id[:i]
	}
	return ""
}
