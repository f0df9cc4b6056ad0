package fake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// HTTPClient returns an *http.Client that serves requests by calling the
// fake's handler directly, in this process, with no sockets: the fastest
// way to drive the fake from stripe-go in the same test.
//
//	sc := stripe.NewClient("sk_test_123", stripe.WithBackends(stripe.NewBackendsWithConfig(
//		&stripe.BackendConfig{HTTPClient: f.HTTPClient(), URL: stripe.String(f.URL())})))
//
// It behaves as the loopback server does: requests are recorded, keys are
// idempotent, webhooks are delivered before the response returns, faults
// apply (DropConnection fails the request with a transport error that
// stripe-go may retry), a canceled context fails the request at once, and a
// closed fake refuses requests. The host of the URL is not looked at. Keep
// URL for clients in other processes.
func (f *Fake) HTTPClient() *http.Client {
	return &http.Client{Transport: &inProcessTransport{f: f}}
}

// inProcessTransport is an http.RoundTripper over the fake's handler.
type inProcessTransport struct{ f *Fake }

// errDropped is the transport error of a dropped connection, worded as Go's
// transport words a connection closed before any answer.
var errDropped = errors.New("stripefake: connection dropped before the response (EOF)")

// errClosed answers requests to a closed fake, as a refused connection.
var errClosed = errors.New("stripefake: connection refused: the fake is closed")

func (t *inProcessTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The RoundTripper contract: the body is closed, even on errors.
	if req.Body != nil {
		defer req.Body.Close()
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.f.closed.Load() {
		return nil, errClosed
	}
	w := &responseBuffer{header: make(http.Header, 8)}
	if ctx.Done() == nil {
		// The context can never be canceled: serve on this goroutine. The
		// handler is done with the request before RoundTrip returns, so a
		// shallow copy serves as the server's side of it.
		sr := new(http.Request)
		*sr = *req
		if err := t.serve(w, serverRequest(sr, req)); err != nil {
			return nil, err
		}
		return w.response(req), nil
	}
	// The server side's copy of the request, as net/http would build it:
	// the handler may outlive a canceled call.
	sr := serverRequest(req.Clone(ctx), req)
	done := make(chan error, 1)
	// The handler runs on its own goroutine, as on a server, so that a
	// canceled context fails the request at once while the fake finishes
	// what it started.
	go func() { done <- t.serve(w, sr) }()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return w.response(req), nil
}

// serverRequest fills in sr, a copy of req, as a server would.
func serverRequest(sr, req *http.Request) *http.Request {
	sr.RequestURI = req.URL.RequestURI()
	sr.RemoteAddr = "in-process"
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	return sr
}

// serve runs the fake's handler on sr, turning its panics into the
// transport errors a client of a server would see.
func (t *inProcessTransport) serve(w *responseBuffer, sr *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				err = errDropped
				return
			}
			err = fmt.Errorf("stripefake: the handler panicked (the server would drop the connection): %v", p)
		}
	}()
	// No body guard: it bounds reads from a connection, and there is none.
	t.f.answer(w, sr)
	return nil
}

// responseBuffer is the http.ResponseWriter of an in-process request. It is
// not an http.Hijacker, so a dropped connection aborts the handler instead.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

// response is the answer the handler wrote, as the client receives it.
func (w *responseBuffer) response(req *http.Request) *http.Response {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	statusLine := "200 OK"
	if status != http.StatusOK {
		statusLine = strconv.Itoa(status) + " " + http.StatusText(status)
	}
	body := w.body.Bytes()
	w.header.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status: statusLine, StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}
}

func (w *responseBuffer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseBuffer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}
