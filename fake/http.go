package fake

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/form"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/spec"
)

// maxBody bounds a request body; Stripe's own limit is far below this.
const maxBody = 8 << 20

// ServeHTTP answers one Stripe API request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer f.bodies.guard(w, r).end()
	f.answer(w, r)
}

// answer is ServeHTTP without the guard on the body read, which only
// matters for a body arriving over a connection: the in-process transport
// calls it directly.
func (f *Fake) answer(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, resources.PagesPrefix) {
		f.serveUnderscore(w, r) // the control API and hosted pages: control.go
		return
	}
	reqID := f.engine.NewRequestID()
	rec := Request{
		// The log keeps its own copy of the header (requestLog.add).
		Method: r.Method, Path: r.URL.Path, Header: r.Header,
		IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")), RequestID: reqID,
	}
	var resp resources.Response
	if fault, ok := f.faults.forRequest(r); ok {
		if fault.Drop {
			f.drop(w, r, &rec)
			return
		}
		resp = f.serveFault(r, &rec, fault)
	} else {
		resp = f.serve(r, &rec)
	}

	// The answer's headers share one backing array (keys are already
	// canonical): a handful of allocations fewer per request.
	h, vals := w.Header(), make([]string, 0, 7)
	set := func(key, value string) {
		vals = append(vals, value)
		h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	contentType := "application/json"
	if resp.ContentType != "" {
		contentType = resp.ContentType
	}
	set("Content-Type", contentType)
	set("Request-Id", reqID)
	set("Stripe-Version", rec.StripeVersion)
	set("Stripe-Should-Retry", "false")
	if rec.IdempotencyKey != "" {
		set("Idempotency-Key", rec.IdempotencyKey)
	}
	if r.Method == http.MethodPost && resp.Status < 500 {
		orig := reqID
		if resp.Replayed {
			orig = resp.OriginalRequest
			set("Idempotent-Replayed", "true")
		}
		set("Original-Request", orig)
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)

	rec.Status = resp.Status
	rec.Response = resp.Body
	f.log.add(rec)
}

// serve does everything but writing: version, auth, decoding, routing,
// validation, then the engine.
func (f *Fake) serve(r *http.Request, rec *Request) resources.Response {
	// Authentication comes before the version, as at Stripe: a bad key is a
	// 401 whatever Stripe-Version says. The Stripe-Version header of any
	// answer names the version served: the request's when it is valid, the
	// account's otherwise.
	def := f.engine.APIVersion()
	version, verr := servedVersion(r.Header.Get("Stripe-Version"), def)
	rec.StripeVersion = version.String()
	if verr != nil {
		rec.StripeVersion = def.String()
	}
	if r.URL.Path == "/v2/billing/meter_event_stream" {
		// The stream authenticates with a meter event session's token, not
		// an API key.
		if err := f.engine.MeterEventSessionCheck(apiKey(r)); err != nil {
			return fail(err)
		}
	} else if err := authenticate(r); err != nil {
		return fail(err)
	}
	if verr != nil {
		return fail(verr)
	}
	raw, tree, err := decodeParams(r)
	rec.Params = raw
	if err != nil {
		return fail(err)
	}
	// Match on the escaped path: stripe-go escapes IDs with QueryEscape, so
	// "+", "%" and "/" inside an ID only survive in the raw form.
	// Legacy routes (usage records, the upcoming invoice) exist only
	// before the version that removed them.
	op, vars, ok := spec.MatchAt(r.Method, r.URL.EscapedPath(), func(until string) bool {
		return !version.Before(apiversion.Version(until))
	})
	if !ok {
		return fail(apierr.UnrecognizedURL(r.Method, r.URL.Path))
	}
	rec.Route = op.Pattern
	if !f.engine.Implements(op.Method, op.Pattern) {
		return fail(apierr.NotImplemented(op.Method, op.Pattern))
	}
	// Names an older version used are rewritten to the stored model's
	// before validation, which knows only the newest spec.
	aside, err := apiversion.Request(version, op.String(), tree)
	if err != nil {
		return fail(err)
	}
	params, err := op.Validate(tree)
	if err != nil {
		return fail(err)
	}
	aside.Restore(params)
	call := resources.Call{
		Method: op.Method, Pattern: op.Pattern, Path: r.URL.Path, Vars: vars, Params: params,
		Version: version, RequestID: rec.RequestID, IdempotencyKey: rec.IdempotencyKey,
	}
	if rec.IdempotencyKey != "" && r.Method == http.MethodPost {
		call.Fingerprint = form.Encode(tree) // only keys on POST are compared
	}
	return f.engine.Serve(call)
}

func fail(err error) resources.Response {
	status, body := resources.ErrorBody(err)
	return resources.Response{Status: status, Body: body}
}

// decodeParams reads the request's parameters: the query string, and for
// POST and DELETE the form body (v1) or JSON body (v2). It returns the raw
// values for the request log and the decoded tree. stripe-go v76 sends a
// DELETE's parameters (invoice_now, prorate, expand, …) in a form body; v85
// sends them in the query string. Stripe reads both.
func decodeParams(r *http.Request) (url.Values, map[string]any, error) {
	raw, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return url.Values{}, nil, apierr.InvalidRequest("", "Invalid query string: "+err.Error())
	}
	if r.Method != http.MethodPost && r.Method != http.MethodDelete {
		tree, err := form.DecodeValues(raw)
		return raw, tree, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return raw, nil, apierr.InvalidRequest("", "Could not read the request body: "+err.Error())
	}
	if len(body) > maxBody {
		return raw, nil, apierr.InvalidRequest("", "The request body is too large.")
	}
	if r.Method == http.MethodDelete && len(body) == 0 {
		tree, err := form.DecodeValues(raw)
		return raw, tree, err
	}
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		tree, err := form.DecodeJSON(body)
		return raw, tree, err
	}
	bodyValues, err := url.ParseQuery(string(body))
	if err != nil {
		return raw, nil, apierr.InvalidRequest("", "Invalid request body: "+err.Error())
	}
	if len(raw) == 0 {
		raw = bodyValues // nothing to merge: the usual POST
	} else {
		for k, vs := range bodyValues {
			raw[k] = append(raw[k], vs...)
		}
	}
	tree, err := form.DecodeValues(raw)
	return raw, tree, err
}
