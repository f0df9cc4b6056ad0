package resources

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/stripefake/stripefake/store"
)

// Pages are the HTML pages the fake serves in Stripe's place: hosted invoice
// pages, the customer portal, Checkout. They live under PagesPrefix on the
// fake's own URL, beside the API.

// PagesPrefix is the path prefix of every page the fake serves.
const PagesPrefix = "/_stripefake/"

// maxPageBody bounds a page's form: a few fields a customer types.
const maxPageBody = 64 << 10

// PageHandler answers a page request. rest is the path after the page's
// prefix; c runs in a write transaction (a page may act, as the portal does).
type PageHandler func(c *Ctx, w http.ResponseWriter, r *http.Request, rest string) error

type pageRoute struct {
	prefix string // after PagesPrefix, e.g. "invoices/"
	handle PageHandler
}

// page registers a page under PagesPrefix+prefix.
func (e *Engine) page(prefix string, h PageHandler) {
	e.own()
	e.pages = append(e.pages, pageRoute{prefix: prefix, handle: h})
}

// pageToken is the unguessable part of a page link, drawn from crypto/rand
// and kept with the object: IDs are predictable by design, so a link made
// of an ID alone would open another customer's page. Tokens are the one
// thing in the fake that is not deterministic; no behaviour depends on
// their value.
func pageToken() string { return rand.Text() }

// tokenMatches reports whether a token from a request is the stored one.
// An object without a token has no page.
func tokenMatches(stored, given string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(given)) == 1
}

// errCSRF answers a page form posted without the page's csrf_token: a
// form on another site cannot know it, so it cannot act for the customer.
// Each page that acts keeps its own random token (crypto/rand) with its
// object and renders it in a hidden field of every form.
const errCSRF = "This form has expired or did not come from this page. Reload the page and try again."

// SetBaseURL tells the engine the fake's URL, for the links it renders
// (hosted_invoice_url and the like).
func (e *Engine) SetBaseURL(u string) { e.baseURL.Store(&u) }

// pageURL is the absolute URL of a page path below PagesPrefix.
func (e *Engine) pageURL(path string) string {
	base := ""
	if p := e.baseURL.Load(); p != nil {
		base = *p
	}
	return base + PagesPrefix + path
}

// ServesPage reports whether path, below PagesPrefix, is one of the pages'.
func (e *Engine) ServesPage(path string) bool {
	rest, ok := strings.CutPrefix(path, PagesPrefix)
	if !ok {
		return false
	}
	for _, p := range e.pages {
		if strings.HasPrefix(rest, p.prefix) {
			return true
		}
	}
	return false
}

// ServePage answers a request below PagesPrefix. Pages are not part of
// Stripe's API: no API key is needed, as for Stripe's hosted pages.
//
// A posted form is read, and bounded, before anything else: a client that
// stalls halfway through its body holds no store lock, and the page's
// write transaction starts only once the whole form is in.
func (e *Engine) ServePage(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxPageBody)
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			http.Error(w, "Could not read the form: "+err.Error(), status)
			return
		}
	}
	if err := e.RunDue(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, PagesPrefix)
	for _, p := range e.pages {
		if rest, ok := strings.CutPrefix(path, p.prefix); ok {
			c := e.newCtx(Call{Method: r.Method, Path: r.URL.Path})
			c.automatic = true
			// The page is written to a buffer and sent only once its
			// transaction has committed and its events are delivered: no
			// client sees "paid" for work that is then rolled back, and no
			// store lock is held while writing to the network.
			page := httptest.NewRecorder()
			err := e.store.Update(func(tx store.Tx) error {
				c.begin(tx)
				return c.finish(p.handle(c, page, r, rest))
			})
			if err == nil {
				err = e.afterCommit(c)
			}
			if err != nil {
				status, _ := ErrorBody(err)
				http.Error(w, err.Error(), status)
				return
			}
			for k, vs := range page.Header() {
				w.Header()[k] = vs
			}
			w.WriteHeader(page.Code)
			_, _ = w.Write(page.Body.Bytes())
			return
		}
	}
	http.NotFound(w, r)
}
