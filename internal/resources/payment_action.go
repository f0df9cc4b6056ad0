package resources

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// The customer's side of 3-D Secure: a payment or setup intent in
// requires_action waits for the customer to authenticate. Tests complete
// or fail that step with Engine.CompletePaymentAction /
// FailPaymentAction; a browser does it on the page next_action points at:
//
//	GET  …/authenticate/<intent>   two buttons, Complete and Fail
//	POST …/authenticate/<intent>   action=complete|fail, then a 303 to
//	                               return_url when the intent has one
//
// Completing charges (or sets up) the card, which may still decline;
// failing returns the intent to requires_payment_method with
// last_payment_error (last_setup_error) code
// payment_intent_authentication_failure (setup_intent_authentication_failure)
// (https://docs.stripe.com/testing#authentication-and-setup).

// CompletePaymentAction completes the authentication that payment intent
// or setup intent id (pi_… or seti_…) waits for, as the customer would. A
// card that declines after authentication returns the card error, with
// the failed attempt kept, as the API reports it.
func (e *Engine) CompletePaymentAction(id string) error { return e.paymentAction(id, true) }

// FailPaymentAction fails the authentication that payment intent or setup
// intent id waits for, as a customer who does not authenticate would.
func (e *Engine) FailPaymentAction(id string) error { return e.paymentAction(id, false) }

func (e *Engine) paymentAction(id string, complete bool) error {
	return e.doDue(func(c *Ctx) error { return runPaymentAction(c, id, complete) })
}

// errNoAction answers an intent that waits for no authentication.
func errNoAction(id, status string) error {
	// UNCONFIRMED wording (a test helper of the fake).
	return apierr.InvalidRequest("", fmt.Sprintf("%s has status %s: there is no authentication to complete or fail (it must be requires_action).", id, status))
}

// runPaymentAction completes or fails the action intent id waits for.
func runPaymentAction(c *Ctx, id string, complete bool) error {
	if strings.HasPrefix(id, "seti_") {
		si, err := get[SetupIntent](c, kindSetupIntent, id, "intent")
		if err != nil {
			return err
		}
		if si.Status != "requires_action" {
			return errNoAction(id, si.Status)
		}
		if err := c.onTimelineOfCustomer(si.Customer); err != nil {
			return err
		}
		pm, err := get[PaymentMethod](c, kindPaymentMethod, *si.PaymentMethod, "payment_method")
		if err != nil {
			return err
		}
		if complete {
			return finishSetupIntent(c, si, pm, setupError(pm))
		}
		si.Status = "requires_payment_method"
		si.PaymentMethod = nil
		si.NextAction = nil
		si.LastSetupError = authenticationFailure("setup_intent", pm)
		if err := saveSetupIntent(c, si); err != nil {
			return err
		}
		return c.emit("setup_intent.setup_failed", si, nil)
	}
	pi, err := get[PaymentIntent](c, kindPaymentIntent, id, "intent")
	if err != nil {
		return err
	}
	if pi.Status != "requires_action" {
		return errNoAction(id, pi.Status)
	}
	if err := c.onTimelineOfCustomer(pi.Customer); err != nil {
		return err
	}
	pm, err := get[PaymentMethod](c, kindPaymentMethod, *pi.PaymentMethod, "payment_method")
	if err != nil {
		return err
	}
	if complete {
		return finishPaymentIntent(c, pi, pm, chargeErrorAfterAuthentication(pm))
	}
	pi.Status = "requires_payment_method"
	pi.PaymentMethod = nil
	pi.NextAction = nil
	pi.LastPaymentError = authenticationFailure("payment_intent", pm)
	if err := savePaymentIntent(c, pi); err != nil {
		return err
	}
	return c.emit("payment_intent.payment_failed", pi, nil)
}

// authenticationFailure is the last_payment_error (last_setup_error) of
// a failed authentication; object is payment_intent or setup_intent.
func authenticationFailure(object string, pm *PaymentMethod) *PaymentError {
	name := "PaymentIntent"
	if object == "setup_intent" {
		name = "SetupIntent"
	}
	e := apierr.Invalid(object+"_authentication_failure", "",
		"The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this "+name+" again.")
	e.DocURL = "https://docs.stripe.com/error-codes/" + strings.ReplaceAll(object, "_", "-") + "-authentication-failure"
	return paymentError(e, "", pm)
}

var authenticateTemplate = template.Must(template.New("authenticate").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Authenticate</title></head>
<body>
<h1>3D Secure test page</h1>
{{with .Done}}<p id="result">{{.}}</p>{{else}}
<p>Intent <code id="intent">{{.ID}}</code> asks the customer to authenticate.</p>
<form method="post"><input type="hidden" name="return_url" value="{{.ReturnURL}}">
<button name="action" value="complete" id="complete">Complete authentication</button>
<button name="action" value="fail" id="fail">Fail authentication</button>
</form>{{end}}
</body></html>
`))

// authenticatePageHandler serves authenticate/<intent>/<token>.
func authenticatePageHandler(c *Ctx, w http.ResponseWriter, r *http.Request, rest string) error {
	id, token, _ := strings.Cut(rest, "/")
	stored := ""
	if strings.HasPrefix(id, "seti_") {
		if si, err := get[SetupIntent](c, kindSetupIntent, id, "intent"); err == nil {
			stored = si.PageToken
		}
	} else if pi, err := get[PaymentIntent](c, kindPaymentIntent, id, "intent"); err == nil {
		stored = pi.PageToken
	}
	if !tokenMatches(stored, token) {
		http.NotFound(w, r)
		return nil
	}
	returnURL := r.URL.Query().Get("return_url")
	data := struct{ ID, ReturnURL, Done string }{ID: id, ReturnURL: returnURL}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return apierr.InvalidRequest("", err.Error())
		}
		returnURL = r.PostForm.Get("return_url")
		// A decline after authentication is kept and shown, not answered
		// as an error: drop the card error runPaymentAction queued.
		n := len(c.afterFns)
		if err := runPaymentAction(c, id, r.PostForm.Get("action") == "complete"); err != nil {
			return err
		}
		c.afterFns = c.afterFns[:n]
		data.Done = "Authentication " + map[bool]string{true: "completed.", false: "failed."}[r.PostForm.Get("action") == "complete"]
		if returnURL != "" {
			u, perr := url.Parse(returnURL)
			if perr == nil {
				q := u.Query()
				key := "payment_intent"
				if strings.HasPrefix(id, "seti_") {
					key = "setup_intent"
				}
				q.Set(key, id)
				u.RawQuery = q.Encode()
				http.Redirect(w, r, u.String(), http.StatusSeeOther)
				return nil
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return authenticateTemplate.Execute(w, data)
}
