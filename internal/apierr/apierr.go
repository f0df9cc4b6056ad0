// Package apierr is the Stripe error envelope: the one type every layer
// returns for a failure the client should see, and the constructors for the
// common cases with Stripe's exact wording.
package apierr

import (
	"fmt"
	"net/http"
	"strings"
)

// Error types as they appear on the wire.
const (
	TypeAPI            = "api_error"
	TypeCard           = "card_error"
	TypeIdempotency    = "idempotency_error"
	TypeInvalidRequest = "invalid_request_error"
)

// Error is a Stripe API error. Status is the HTTP status; the other fields
// are the members of the "error" object on the wire.
type Error struct {
	Status      int            `json:"-"`
	Type        string         `json:"type"`
	Code        string         `json:"code,omitempty"`
	DeclineCode string         `json:"decline_code,omitempty"`
	DocURL      string         `json:"doc_url,omitempty"`
	Message     string         `json:"message"`
	Param       string         `json:"param,omitempty"`
	Charge      string         `json:"charge,omitempty"`
	Extra       map[string]any `json:"-"` // further members, e.g. payment_intent
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

// New returns an error with doc_url filled in from code.
func New(status int, typ, code, param, message string) *Error {
	e := &Error{Status: status, Type: typ, Code: code, Param: param, Message: message}
	if code != "" {
		e.DocURL = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
	}
	return e
}

// InvalidRequest is a 400 invalid_request_error with no code.
func InvalidRequest(param, message string) *Error {
	return New(http.StatusBadRequest, TypeInvalidRequest, "", param, message)
}

// Invalid is a 400 invalid_request_error with a code.
func Invalid(code, param, message string) *Error {
	return New(http.StatusBadRequest, TypeInvalidRequest, code, param, message)
}

// NoSuch is Stripe's "No such <object>: '<id>'" with code resource_missing.
// status is 404 when the ID came from the path and 400 when it came from a
// parameter naming another object.
func NoSuch(status int, object, id, param string) *Error {
	return New(status, TypeInvalidRequest, "resource_missing", param,
		fmt.Sprintf("No such %s: '%s'", object, id))
}

// UnknownParam is Stripe's answer to a parameter the endpoint does not take.
func UnknownParam(param string) *Error {
	return Invalid("parameter_unknown", param, "Received unknown parameter: "+param)
}

// MissingParam is Stripe's answer to an absent required parameter.
func MissingParam(param string) *Error {
	return Invalid("parameter_missing", param, "Missing required param: "+param+".")
}

// InvalidEmpty is Stripe's answer to "" for a parameter that cannot be unset.
func InvalidEmpty(param string) *Error {
	return Invalid("parameter_invalid_empty", param, fmt.Sprintf(
		"You passed an empty string for '%[1]s'. We assume empty values are an attempt to unset a parameter; however '%[1]s' cannot be unset. You should remove '%[1]s' from your request or supply a non-empty value.", param))
}

// InvalidInteger is Stripe's answer to a non-integer for an integer parameter.
func InvalidInteger(param, raw string) *Error {
	return Invalid("parameter_invalid_integer", param, "Invalid integer: "+raw)
}

// InvalidBoolean is the answer to a value other than true or false.
func InvalidBoolean(param, raw string) *Error {
	return Invalid("parameter_invalid_boolean", param, "Invalid boolean: "+raw)
}

// InvalidEnum is the answer to a value outside a parameter's enum.
func InvalidEnum(param, raw string, allowed []string) *Error {
	return InvalidRequest(param, fmt.Sprintf("Invalid %s: must be one of %s", param, oneOf(allowed)))
}

func oneOf(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	case 2:
		return xs[0] + " or " + xs[1]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + ", or " + xs[len(xs)-1]
}

// UnrecognizedURL is Stripe's 404 for a route it does not have.
func UnrecognizedURL(method, path string) *Error {
	return New(http.StatusNotFound, TypeInvalidRequest, "", "", fmt.Sprintf(
		"Unrecognized request URL (%s: %s). If you are trying to list objects, remove the trailing slash. If you are trying to retrieve an object, make sure you passed a valid (non-empty) identifier in your code. Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", method, path))
}

// NotImplemented answers a route that Stripe has but this fake does not
// implement yet. It is loud on purpose: never a silent success.
func NotImplemented(method, pattern string) *Error {
	return New(http.StatusNotImplemented, TypeAPI, "", "", fmt.Sprintf(
		"stripefake does not implement %s %s yet. The endpoint exists in the Stripe API; see the stripefake README for the list of implemented endpoints.", method, pattern))
}

// Card is a 402 card_error.
func Card(code, declineCode, message string) *Error {
	e := New(http.StatusPaymentRequired, TypeCard, code, "", message)
	e.DeclineCode = declineCode
	return e
}
