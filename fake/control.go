package fake

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/resources"
)

// The control API: what a test in another language needs of the fake, over
// HTTP on the fake's own address, beside the pages under the same prefix.
// It takes the same secret keys as the API, form or JSON parameters, and
// answers JSON; errors are in Stripe's error shape. Control requests are
// not recorded in Requests.
//
//	POST   /_stripefake/advance        duration=36h (Go duration) or to=<Unix seconds>
//	GET    /_stripefake/now
//	GET    /_stripefake/requests       [pattern="POST /v1/customers"]
//	GET    /_stripefake/events         [type=invoice.paid | invoice.*]
//	POST   /_stripefake/reset
//	POST   /_stripefake/faults         pattern=… fault=lock_timeout [times=2|forever] (as FailRequests)
//	GET    /_stripefake/faults
//	DELETE /_stripefake/faults[/{id}]
//
// Because the pages share the prefix, no control path starts with a page's.

// controlPrefix is the path prefix of the control API (and of the pages the
// fake serves).
const controlPrefix = resources.PagesPrefix

// controlState is what the control API keeps beside the fake.
type controlState struct {
	mu     sync.Mutex
	seq    int
	faults []controlFault // made through POST /_stripefake/faults, oldest first
}

type controlFault struct {
	id   string
	rule *FaultRule
}

type controlHandler func(f *Fake, r *http.Request, p url.Values, id string) (any, error)

type controlRoute struct {
	method, path string // path after controlPrefix; a trailing "/" takes an ID
	params       []string
	handle       controlHandler
}

var controlRoutes = []controlRoute{
	{http.MethodPost, "advance", []string{"duration", "to"}, (*Fake).controlAdvance},
	{http.MethodGet, "now", nil, (*Fake).controlNow},
	{http.MethodGet, "requests", []string{"pattern"}, (*Fake).controlRequests},
	{http.MethodGet, "events", []string{"type"}, (*Fake).controlEvents},
	{http.MethodPost, "reset", nil, (*Fake).controlReset},
	{http.MethodPost, "faults", []string{"pattern", "times", "fault", "status", "type", "code", "decline_code", "message"}, (*Fake).controlAddFault},
	{http.MethodGet, "faults", nil, (*Fake).controlFaults},
	{http.MethodDelete, "faults", nil, (*Fake).controlClearFaults},
	{http.MethodDelete, "faults/", nil, (*Fake).controlRemoveFault},
}

// serveUnderscore answers a request below controlPrefix: the control API,
// then the pages, and for anything else Stripe's 404.
func (f *Fake) serveUnderscore(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, controlPrefix)
	for _, rt := range controlRoutes {
		id, ok := "", rest == rt.path
		if strings.HasSuffix(rt.path, "/") {
			id, ok = strings.CutPrefix(rest, rt.path)
			ok = ok && id != "" && !strings.Contains(id, "/")
		}
		if ok && r.Method == rt.method {
			writeControl(w, f.runControl(r, rt, id))
			return
		}
	}
	if f.engine.ServesPage(r.URL.Path) {
		f.engine.ServePage(w, r) // pages take no API key, as Stripe's hosted pages
		return
	}
	err := authenticate(r)
	if err == nil {
		err = apierr.UnrecognizedURL(r.Method, r.URL.Path)
	}
	writeControl(w, fail(err))
}

func (f *Fake) runControl(r *http.Request, rt controlRoute, id string) resources.Response {
	if err := authenticate(r); err != nil {
		return fail(err)
	}
	p, err := controlParams(r)
	if err != nil {
		return fail(err)
	}
	for k := range p {
		if !slices.Contains(rt.params, k) {
			return fail(apierr.UnknownParam(k))
		}
	}
	obj, err := rt.handle(f, r, p, id)
	if err != nil {
		return fail(err)
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return fail(err)
	}
	return resources.Response{Status: http.StatusOK, Body: body}
}

func writeControl(w http.ResponseWriter, resp resources.Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// controlParams reads the query string and, for POST, a form or JSON
// object body; JSON values are taken as their text.
func controlParams(r *http.Request) (url.Values, error) {
	p, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, apierr.InvalidRequest("", "Invalid query string: "+err.Error())
	}
	if r.Method != http.MethodPost {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, apierr.InvalidRequest("", "Could not read the request body: "+err.Error())
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, apierr.InvalidRequest("", "Invalid JSON body: "+err.Error())
		}
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				b, _ := json.Marshal(v)
				s = string(b)
			}
			p.Add(k, s)
		}
		return p, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, apierr.InvalidRequest("", "Invalid request body: "+err.Error())
	}
	for k, vs := range form {
		p[k] = append(p[k], vs...)
	}
	return p, nil
}

// controlClock is the answer of advance, now and reset.
type controlClock struct {
	Object string `json:"object"` // "stripefake.clock"
	Now    int64  `json:"now"`    // Unix seconds
	Time   string `json:"time"`   // RFC 3339, UTC
}

func (f *Fake) clockAnswer() controlClock {
	now := f.Now().UTC()
	return controlClock{Object: "stripefake.clock", Now: now.Unix(), Time: now.Format(time.RFC3339Nano)}
}

// controlAdvance is Advance (duration) or AdvanceTo (to); it answers once
// every job due by then has run.
func (f *Fake) controlAdvance(_ *http.Request, p url.Values, _ string) (any, error) {
	d, to := p.Get("duration"), p.Get("to")
	var target time.Time
	param := "duration"
	switch {
	case d != "" && to != "":
		return nil, apierr.InvalidRequest("to", "Pass either duration or to, not both.")
	case d != "":
		dur, err := time.ParseDuration(d)
		if err != nil || dur < 0 {
			return nil, apierr.InvalidRequest("duration", fmt.Sprintf("Invalid duration: %s. Pass a Go duration of zero or more, e.g. 36h or 90m.", d))
		}
		target = f.Now().Add(dur)
	case to != "":
		param = "to"
		sec, err := strconv.ParseInt(to, 10, 64)
		if err != nil {
			return nil, apierr.InvalidInteger("to", to)
		}
		target = time.Unix(sec, 0)
	default:
		return nil, apierr.MissingParam("duration")
	}
	if target.After(maxControlTime) {
		return nil, apierr.InvalidRequest(param,
			"The fake's clock cannot be moved past "+maxControlTime.Format(time.RFC3339)+": work scheduled from there would fall outside the years the store can hold.")
	}
	if !f.clock.Settable() {
		return nil, apierr.InvalidRequest("", "This fake runs on a clock it cannot move (a real clock); time moves by itself.")
	}
	if err := f.engine.AdvanceTo(target); err != nil {
		return nil, err
	}
	return f.clockAnswer(), nil
}

// maxControlTime bounds advance: the store holds jobs due up to 2262, and
// objects schedule work years ahead of the clock.
var maxControlTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

func (f *Fake) controlNow(*http.Request, url.Values, string) (any, error) {
	return f.clockAnswer(), nil
}

// controlList is a list answer, shaped as Stripe's lists.
type controlList struct {
	Object  string `json:"object"` // "list"
	URL     string `json:"url"`
	HasMore bool   `json:"has_more"`
	Data    any    `json:"data"`
}

// controlRequest is one entry of GET /_stripefake/requests: Request without
// its headers, which carry the API key.
type controlRequest struct {
	Method         string          `json:"method"`
	Path           string          `json:"path"`
	Route          string          `json:"route"`
	Params         url.Values      `json:"params"`
	IdempotencyKey string          `json:"idempotency_key"`
	StripeVersion  string          `json:"stripe_version"`
	RequestID      string          `json:"request_id"`
	Status         int             `json:"status"`
	Response       json.RawMessage `json:"response"` // the JSON body, or the body as a JSON string
}

func (f *Fake) controlRequests(r *http.Request, p url.Values, _ string) (any, error) {
	match := func(Request) bool { return true }
	if s := p.Get("pattern"); s != "" {
		pat, err := parsePattern(s)
		if err != nil {
			return nil, apierr.InvalidRequest("pattern", err.Error())
		}
		match = func(rq Request) bool { return pat.match(rq.Method, rq.Path, rq.Route) }
	}
	data := []controlRequest{}
	for _, rq := range f.Requests() {
		if !match(rq) {
			continue
		}
		resp := json.RawMessage(rq.Response)
		if !json.Valid(resp) {
			resp, _ = json.Marshal(string(rq.Response))
		}
		params := rq.Params
		if params == nil {
			params = url.Values{}
		}
		data = append(data, controlRequest{
			Method: rq.Method, Path: rq.Path, Route: rq.Route, Params: params, IdempotencyKey: rq.IdempotencyKey,
			StripeVersion: rq.StripeVersion, RequestID: rq.RequestID, Status: rq.Status, Response: resp,
		})
	}
	return controlList{Object: "list", URL: r.URL.Path, Data: data}, nil
}

// controlEvents lists the events as Stripe renders them, oldest first,
// optionally of one type or of a type prefix ending in "*".
func (f *Fake) controlEvents(r *http.Request, p url.Values, _ string) (any, error) {
	typ := p.Get("type")
	prefix, isPrefix := strings.CutSuffix(typ, "*")
	data := []json.RawMessage{}
	var encErr error
	err := f.engine.Events(func(ev *resources.Event) {
		if typ != "" && ev.Type != typ && !(isPrefix && strings.HasPrefix(ev.Type, prefix)) {
			return
		}
		cp := *ev
		cp.Recorded, cp.Timeline = 0, "" // bookkeeping, never rendered
		b, err := json.Marshal(&cp)
		if err != nil {
			encErr = err
		}
		data = append(data, b)
	})
	if err = errors.Join(err, encErr); err != nil {
		return nil, err
	}
	return controlList{Object: "list", URL: r.URL.Path, Data: data}, nil
}

// controlReset empties the fake's state, its request log and its fault
// rules, and keeps its clock.
func (f *Fake) controlReset(*http.Request, url.Values, string) (any, error) {
	if err := f.engine.Reset(); err != nil {
		return nil, apierr.InvalidRequest("", "This fake's state cannot be reset: "+err.Error())
	}
	f.log.reset(false)
	f.ClearFaults()
	f.control.mu.Lock()
	f.control.faults = nil
	f.control.mu.Unlock()
	return f.clockAnswer(), nil
}

// namedFaults are the Fault constructors by the name the control API takes.
var namedFaults = map[string]func(declineCode string) Fault{
	"rate_limit":           func(string) Fault { return RateLimit() },
	"lock_timeout":         func(string) Fault { return LockTimeout() },
	"api_error":            func(string) Fault { return APIError() },
	"card_declined":        CardDeclined,
	"idempotency_conflict": func(string) Fault { return IdempotencyConflict() },
	"drop_connection":      func(string) Fault { return DropConnection() },
}

// controlFaultObject is a fault rule as the control API shows it.
type controlFaultObject struct {
	ID      string      `json:"id"`
	Object  string      `json:"object"` // "stripefake.fault"
	Pattern string      `json:"pattern"`
	Times   int         `json:"times"` // -1: forever
	Hits    int         `json:"hits"`
	Active  bool        `json:"active"` // false once used up or removed
	Fault   faultFields `json:"fault"`
}

type faultFields struct {
	Status      int    `json:"status,omitempty"`
	Type        string `json:"type,omitempty"`
	Code        string `json:"code,omitempty"`
	DeclineCode string `json:"decline_code,omitempty"`
	Message     string `json:"message,omitempty"`
	Drop        bool   `json:"drop,omitempty"`
}

func (f *Fake) faultObject(cf controlFault) controlFaultObject {
	ft := cf.rule.fault
	f.faults.mu.Lock()
	active := slices.Contains(f.faults.rules, cf.rule)
	hits := cf.rule.hits
	f.faults.mu.Unlock()
	return controlFaultObject{
		ID: cf.id, Object: "stripefake.fault", Pattern: cf.rule.pattern.String(), Times: cf.rule.times, Hits: hits, Active: active,
		Fault: faultFields{Status: ft.Status, Type: ft.Type, Code: ft.Code, DeclineCode: ft.DeclineCode, Message: ft.Message, Drop: ft.Drop},
	}
}

// controlAddFault is FailRequests: pattern, times (default 1, or
// "forever"), and either fault (a constructor's name, with decline_code for
// card_declined) or the fields of a Stripe error (status, type, code,
// decline_code, message).
func (f *Fake) controlAddFault(_ *http.Request, p url.Values, _ string) (any, error) {
	if p.Get("pattern") == "" {
		return nil, apierr.MissingParam("pattern")
	}
	pat, err := f.compilePattern(p.Get("pattern"))
	if err != nil {
		return nil, apierr.InvalidRequest("pattern", err.Error())
	}
	times := 1
	switch s := p.Get("times"); s {
	case "":
	case "forever", "-1":
		times = Forever
	default:
		times, err = strconv.Atoi(s)
		if err != nil || times < 1 {
			return nil, apierr.InvalidRequest("times", "Invalid times: "+s+". Pass a count of 1 or more, or forever.")
		}
	}
	var ft Fault
	if name := p.Get("fault"); name != "" {
		mk, ok := namedFaults[name]
		if !ok {
			names := make([]string, 0, len(namedFaults))
			for n := range namedFaults {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, apierr.InvalidEnum("fault", name, names)
		}
		for _, k := range []string{"status", "type", "code", "message"} {
			if p.Has(k) {
				return nil, apierr.InvalidRequest(k, "Pass either fault or the fields of an error ("+k+"), not both.")
			}
		}
		ft = mk(cmp.Or(p.Get("decline_code"), "generic_decline"))
	} else {
		if p.Get("status") == "" {
			return nil, apierr.MissingParam("fault")
		}
		status, err := strconv.Atoi(p.Get("status"))
		if err != nil || status < 400 || status > 599 {
			return nil, apierr.InvalidRequest("status", "Invalid status: "+p.Get("status")+". Pass an HTTP error status, 400 to 599.")
		}
		ft = Fault{Status: status, Type: cmp.Or(p.Get("type"), apierr.TypeAPI), Code: p.Get("code"),
			DeclineCode: p.Get("decline_code"), Message: cmp.Or(p.Get("message"), "Injected by stripefake.")}
	}
	rule := f.faults.add(&FaultRule{pattern: pat, fault: ft, times: times})
	f.control.mu.Lock()
	f.control.seq++
	cf := controlFault{id: fmt.Sprintf("fault_%d", f.control.seq), rule: rule}
	f.control.faults = append(f.control.faults, cf)
	f.control.mu.Unlock()
	return f.faultObject(cf), nil
}

func (f *Fake) controlFaults(r *http.Request, _ url.Values, _ string) (any, error) {
	f.control.mu.Lock()
	all := slices.Clone(f.control.faults)
	f.control.mu.Unlock()
	data := make([]controlFaultObject, 0, len(all))
	for _, cf := range all {
		data = append(data, f.faultObject(cf))
	}
	return controlList{Object: "list", URL: r.URL.Path, Data: data}, nil
}

// controlClearFaults is ClearFaults: every rule goes, those made in Go too.
func (f *Fake) controlClearFaults(r *http.Request, _ url.Values, _ string) (any, error) {
	f.ClearFaults()
	f.control.mu.Lock()
	f.control.faults = nil
	f.control.mu.Unlock()
	return controlList{Object: "list", URL: r.URL.Path, Data: []controlFaultObject{}}, nil
}

func (f *Fake) controlRemoveFault(_ *http.Request, _ url.Values, id string) (any, error) {
	f.control.mu.Lock()
	i := slices.IndexFunc(f.control.faults, func(cf controlFault) bool { return cf.id == id })
	var cf controlFault
	if i >= 0 {
		cf = f.control.faults[i]
		f.control.faults = slices.Delete(f.control.faults, i, i+1)
	}
	f.control.mu.Unlock()
	if i < 0 {
		return nil, apierr.NoSuch(http.StatusNotFound, "fault", id, "id")
	}
	cf.rule.Remove()
	return map[string]any{"id": id, "object": "stripefake.fault", "deleted": true}, nil
}
