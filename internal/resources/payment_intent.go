package resources

import (
	"encoding/json"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
)

// Payment intents, charges and invoice payments: the payment side of
// invoices. Invoices create them (see invoice_pay.go); the API here is
// read-only (retrieve, list, payment intent search) so that expand works
// and tests can inspect what a payment did.
//
// Shapes (dahlia):
//   - An invoice's payment intent is created at finalization for amount_due
//     (status requires_payment_method, or requires_confirmation when a
//     payment method is known), capture_method automatic, off-session card.
//     A successful attempt makes it succeeded with a succeeded charge; a
//     decline leaves it requires_payment_method with last_payment_error and a
//     failed charge. Voiding the invoice cancels it (void_invoice).
//   - An invoice_payment (inpay_…) links the invoice to its payment intent:
//     status open until paid, then paid with amount_paid and paid_at;
//     canceled when the invoice is voided or paid out of band.

const (
	kindPaymentIntent  = "payment_intent"
	kindCharge         = "charge"
	kindInvoicePayment = "invoice_payment"
)

// PaymentIntent is Stripe's payment_intent (the fields an invoice payment
// uses; the rest of the schema is optional and left out).
type PaymentIntent struct {
	ID                        string            `json:"id"`
	Object                    string            `json:"object"`
	Amount                    int64             `json:"amount"`
	AmountCapturable          int64             `json:"amount_capturable"`
	AmountReceived            int64             `json:"amount_received"`
	Application               *string           `json:"application"`
	ApplicationFeeAmount      *int64            `json:"application_fee_amount"`
	AutomaticPaymentMethods   map[string]any    `json:"automatic_payment_methods"`
	CanceledAt                *int64            `json:"canceled_at"`
	CancellationReason        *string           `json:"cancellation_reason"`
	CaptureMethod             string            `json:"capture_method"`
	ClientSecret              *string           `json:"client_secret"`
	ConfirmationMethod        string            `json:"confirmation_method"`
	Created                   int64             `json:"created"`
	Currency                  string            `json:"currency"`
	Customer                  *string           `json:"customer"`
	CustomerAccount           *string           `json:"customer_account"`
	Description               *string           `json:"description"`
	ExcludedPaymentMethodType []string          `json:"excluded_payment_method_types"`
	LastPaymentError          *PaymentError     `json:"last_payment_error"`
	LatestCharge              *string           `json:"latest_charge"`
	Livemode                  bool              `json:"livemode"`
	Metadata                  map[string]string `json:"metadata"`
	NextAction                map[string]any    `json:"next_action"`
	OnBehalfOf                *string           `json:"on_behalf_of"`
	PaymentMethod             *string           `json:"payment_method"`
	PaymentMethodOptions      map[string]any    `json:"payment_method_options"`
	PaymentMethodTypes        []string          `json:"payment_method_types"`
	Processing                map[string]any    `json:"processing"`
	ReceiptEmail              *string           `json:"receipt_email"`
	Review                    *string           `json:"review"`
	SetupFutureUsage          *string           `json:"setup_future_usage"`
	Shipping                  map[string]any    `json:"shipping"`
	StatementDescriptor       *string           `json:"statement_descriptor"`
	StatementDescriptorSuffix *string           `json:"statement_descriptor_suffix"`
	Status                    string            `json:"status"`
	TransferData              map[string]any    `json:"transfer_data"`
	TransferGroup             *string           `json:"transfer_group"`
	// PageToken is the secret part of the next_action's page link.
	PageToken string `json:"_page_token,omitempty"`
}

func (pi *PaymentIntent) wire(string) any {
	out := *pi
	out.PageToken = ""
	return &out
}

func (pi *PaymentIntent) storedExtendsWire() bool { return true }

// PaymentError is Stripe's api_errors hash as payment objects carry it
// (last_payment_error, last_finalization_error).
type PaymentError struct {
	Charge            string         `json:"charge,omitempty"`
	Code              string         `json:"code,omitempty"`
	DeclineCode       string         `json:"decline_code,omitempty"`
	DocURL            string         `json:"doc_url,omitempty"`
	Message           string         `json:"message,omitempty"`
	Param             string         `json:"param,omitempty"`
	PaymentMethod     *PaymentMethod `json:"payment_method,omitempty"`
	PaymentMethodType string         `json:"payment_method_type,omitempty"`
	Type              string         `json:"type"`
}

// Charge is Stripe's charge object.
type Charge struct {
	ID                            string            `json:"id"`
	Object                        string            `json:"object"`
	Amount                        int64             `json:"amount"`
	AmountCaptured                int64             `json:"amount_captured"`
	AmountRefunded                int64             `json:"amount_refunded"`
	Application                   *string           `json:"application"`
	ApplicationFee                *string           `json:"application_fee"`
	ApplicationFeeAmount          *int64            `json:"application_fee_amount"`
	BalanceTransaction            *string           `json:"balance_transaction"`
	BillingDetails                BillingDetails    `json:"billing_details"`
	CalculatedStatementDescriptor *string           `json:"calculated_statement_descriptor"`
	Captured                      bool              `json:"captured"`
	Created                       int64             `json:"created"`
	Currency                      string            `json:"currency"`
	Customer                      *string           `json:"customer"`
	Description                   *string           `json:"description"`
	Disputed                      bool              `json:"disputed"`
	FailureBalanceTransaction     *string           `json:"failure_balance_transaction"`
	FailureCode                   *string           `json:"failure_code"`
	FailureMessage                *string           `json:"failure_message"`
	FraudDetails                  map[string]any    `json:"fraud_details"`
	Livemode                      bool              `json:"livemode"`
	Metadata                      map[string]string `json:"metadata"`
	OnBehalfOf                    *string           `json:"on_behalf_of"`
	Outcome                       *ChargeOutcome    `json:"outcome"`
	Paid                          bool              `json:"paid"`
	PaymentIntent                 *string           `json:"payment_intent"`
	PaymentMethod                 *string           `json:"payment_method"`
	PaymentMethodDetails          map[string]any    `json:"payment_method_details"`
	ReceiptEmail                  *string           `json:"receipt_email"`
	ReceiptNumber                 *string           `json:"receipt_number"`
	ReceiptURL                    *string           `json:"receipt_url"`
	Refunded                      bool              `json:"refunded"`
	Review                        *string           `json:"review"`
	Shipping                      map[string]any    `json:"shipping"`
	SourceTransfer                *string           `json:"source_transfer"`
	StatementDescriptor           *string           `json:"statement_descriptor"`
	StatementDescriptorSuffix     *string           `json:"statement_descriptor_suffix"`
	Status                        string            `json:"status"`
	TransferData                  map[string]any    `json:"transfer_data"`
	TransferGroup                 *string           `json:"transfer_group"`
}

// ChargeOutcome is charge.outcome.
type ChargeOutcome struct {
	AdviceCode         *string `json:"advice_code"`
	NetworkAdviceCode  *string `json:"network_advice_code"`
	NetworkDeclineCode *string `json:"network_decline_code"`
	NetworkStatus      *string `json:"network_status"`
	Reason             *string `json:"reason"`
	RiskLevel          string  `json:"risk_level"`
	RiskScore          int64   `json:"risk_score"`
	SellerMessage      *string `json:"seller_message"`
	Type               string  `json:"type"`
}

// InvoicePayment is Stripe's invoice_payment.
type InvoicePayment struct {
	ID                string                          `json:"id"`
	Object            string                          `json:"object"`
	AmountPaid        *int64                          `json:"amount_paid"`
	AmountRequested   int64                           `json:"amount_requested"`
	Created           int64                           `json:"created"`
	Currency          string                          `json:"currency"`
	Invoice           string                          `json:"invoice"`
	IsDefault         bool                            `json:"is_default"`
	Livemode          bool                            `json:"livemode"`
	Payment           InvoicePaymentPayment           `json:"payment"`
	Status            string                          `json:"status"`
	StatusTransitions InvoicePaymentStatusTransitions `json:"status_transitions"`
}

// InvoicePaymentPayment is invoice_payment.payment.
type InvoicePaymentPayment struct {
	PaymentIntent string `json:"payment_intent,omitempty"`
	Type          string `json:"type"`
}

// InvoicePaymentStatusTransitions is invoice_payment.status_transitions.
type InvoicePaymentStatusTransitions struct {
	CanceledAt *int64 `json:"canceled_at"`
	PaidAt     *int64 `json:"paid_at"`
}

func savePaymentIntent(c *Ctx, pi *PaymentIntent) error {
	terms := []string{}
	if pi.Customer != nil {
		terms = append(terms, "customer="+*pi.Customer, search.Term("customer", *pi.Customer))
	}
	terms = append(terms, search.Term("status", pi.Status))
	terms = append(terms, search.MetadataTerms("metadata", pi.Metadata)...)
	return c.save(kindPaymentIntent, pi.ID, pi, terms...)
}

func saveCharge(c *Ctx, ch *Charge) error {
	terms := []string{}
	if ch.Customer != nil {
		terms = append(terms, "customer="+*ch.Customer)
	}
	if ch.PaymentIntent != nil {
		terms = append(terms, "payment_intent="+*ch.PaymentIntent)
	}
	return c.save(kindCharge, ch.ID, ch, terms...)
}

func saveInvoicePayment(c *Ctx, ip *InvoicePayment) error {
	terms := []string{"invoice=" + ip.Invoice, "status=" + ip.Status}
	if ip.Payment.PaymentIntent != "" {
		terms = append(terms, "payment_intent="+ip.Payment.PaymentIntent)
	}
	return c.save(kindInvoicePayment, ip.ID, ip, terms...)
}

// newInvoicePaymentIntent builds and saves the payment intent of a
// finalized invoice, for amount in currency. pm may be "".
func newInvoicePaymentIntent(c *Ctx, customer string, amount int64, currency, pm string, at int64) (*PaymentIntent, error) {
	id, err := c.NewID("pi")
	if err != nil {
		return nil, err
	}
	secret := id + "_secret_" + randomString(base62, hashString(id), 25)
	pi := &PaymentIntent{
		ID: id, Object: kindPaymentIntent, Amount: amount, CaptureMethod: "automatic",
		ClientSecret: &secret, ConfirmationMethod: "automatic", Created: at, Currency: currency,
		Customer: &customer, Metadata: map[string]string{},
		PaymentMethodOptions: map[string]any{"card": map[string]any{
			"installments": nil, "mandate_options": nil, "network": nil, "request_three_d_secure": "automatic",
		}},
		PaymentMethodTypes: []string{"card"}, Status: "requires_payment_method",
	}
	if pm != "" {
		pi.PaymentMethod = &pm
		pi.Status = "requires_confirmation"
	}
	return pi, savePaymentIntent(c, pi)
}

// newCharge builds and saves a charge of pm for the payment intent: a
// succeeded one when decline is nil (captured unless the intent captures
// manually), else a failed one carrying the decline.
func newCharge(c *Ctx, pi *PaymentIntent, pm *PaymentMethod, decline *apierr.Error, at int64) (*Charge, error) {
	id, err := c.NewID("ch")
	if err != nil {
		return nil, err
	}
	piID := pi.ID
	pmID := pm.ID
	ch := &Charge{
		ID: id, Object: kindCharge, Amount: pi.Amount, BillingDetails: pm.BillingDetails,
		Created: at, Currency: pi.Currency, Customer: pi.Customer, Description: pi.Description,
		FraudDetails: map[string]any{}, Metadata: map[string]string{}, PaymentIntent: &piID,
		PaymentMethod: &pmID, PaymentMethodDetails: chargeCardDetails(pm),
	}
	desc := "STRIPEFAKE"
	ch.CalculatedStatementDescriptor = &desc
	if decline == nil {
		// A manual-capture intent's charge is only authorized.
		if pi.CaptureMethod != "manual" {
			ch.AmountCaptured = pi.Amount
			ch.Captured = true
			txn := "txn_" + id[len("ch_"):]
			ch.BalanceTransaction = &txn
		}
		ch.Paid = true
		ch.Status = "succeeded"
		reason := "Payment complete."
		ch.Outcome = &ChargeOutcome{NetworkStatus: new("approved_by_network"), RiskLevel: "normal", RiskScore: 20, SellerMessage: &reason, Type: "authorized"}
	} else {
		ch.Status = "failed"
		code := decline.Code
		msg := decline.Message
		ch.FailureCode = &code
		ch.FailureMessage = &msg
		outcome := &ChargeOutcome{NetworkStatus: new("declined_by_network"), RiskLevel: "normal", RiskScore: 20, Type: "issuer_declined"}
		if decline.DeclineCode != "" {
			dc := decline.DeclineCode
			outcome.Reason = &dc
		}
		seller := "The bank did not return any further details with this decline."
		outcome.SellerMessage = &seller
		ch.Outcome = outcome
	}
	return ch, saveCharge(c, ch)
}

// recordCharge charges pm for pi (decline nil: the charge goes through)
// and records the outcome on pi, which it saves: succeeded, or
// requires_capture for manual capture, with the amounts; or back to
// requires_payment_method with last_payment_error. Invoices, Checkout and
// the payment intents API all charge through it. Events are the caller's,
// so that each flow orders them as Stripe does.
func recordCharge(c *Ctx, pi *PaymentIntent, pm *PaymentMethod, decline *apierr.Error, at int64) (*Charge, error) {
	ch, err := newCharge(c, pi, pm, decline, at)
	if err != nil {
		return nil, err
	}
	pi.LatestCharge = &ch.ID
	pi.NextAction = nil
	switch {
	case decline != nil:
		pi.Status = "requires_payment_method"
		pi.PaymentMethod = nil
		pi.LastPaymentError = paymentError(decline, ch.ID, pm)
	case ch.Captured:
		pi.Status = "succeeded"
		pi.AmountReceived = pi.Amount
		pi.PaymentMethod = &pm.ID
		pi.LastPaymentError = nil
	default:
		pi.Status = "requires_capture"
		pi.AmountCapturable = pi.Amount
		pi.PaymentMethod = &pm.ID
		pi.LastPaymentError = nil
	}
	return ch, savePaymentIntent(c, pi)
}

// declineAnswer is the 402 card error a declined charge answers: it names
// the charge and carries the payment intent and the payment method.
func declineAnswer(c *Ctx, decline *apierr.Error, ch *Charge, pi *PaymentIntent, pm *PaymentMethod) *apierr.Error {
	declined := *decline
	declined.Charge = ch.ID
	declined.Extra = map[string]any{"payment_intent": renderForError(c, pi), "payment_method": renderForError(c, pm)}
	return &declined
}

// chargeCardDetails is charge.payment_method_details for a card payment
// method.
func chargeCardDetails(pm *PaymentMethod) map[string]any {
	card := map[string]any{}
	if pc := pm.Card; pc != nil {
		card = map[string]any{
			"amount_authorized": nil, "authorization_code": nil, "brand": pc.Brand,
			"checks":  map[string]any{"address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": nil},
			"country": pc.Country, "exp_month": pc.ExpMonth, "exp_year": pc.ExpYear,
			"fingerprint": pc.Fingerprint, "funding": pc.Funding, "installments": nil, "last4": pc.Last4,
			"mandate": nil, "network": pc.Brand, "network_token": map[string]any{"used": false},
			"network_transaction_id": nil, "regulated_status": pc.RegulatedStatus, "three_d_secure": nil, "wallet": nil,
		}
	}
	return map[string]any{"card": card, "type": "card"}
}

// paymentError turns a card error into last_payment_error.
func paymentError(e *apierr.Error, charge string, pm *PaymentMethod) *PaymentError {
	out := &PaymentError{
		Charge: charge, Code: e.Code, DeclineCode: e.DeclineCode, DocURL: e.DocURL, Message: e.Message,
		Param: e.Param, Type: e.Type,
	}
	if pm != nil {
		out.PaymentMethod = pm.wire("").(*PaymentMethod)
		out.PaymentMethodType = pm.Type
	}
	return out
}

func init() { families = append(families, registerPayments) }

func registerPayments(e *Engine) {
	e.kind(Kind{Object: kindPaymentIntent, Load: loader[PaymentIntent](kindPaymentIntent)})
	e.kind(Kind{Object: kindCharge, Load: loader[Charge](kindCharge)})
	e.kind(Kind{Object: kindInvoicePayment, Load: loader[InvoicePayment](kindInvoicePayment)})
	e.route(Route{Method: "GET", Pattern: "/v1/payment_intents/{intent}", Read: true, Handle: func(c *Ctx) (any, error) {
		if err := unsupported(c.Params, "client_secret"); err != nil {
			return nil, err
		}
		return get[PaymentIntent](c, kindPaymentIntent, c.Var("intent"), "id")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/payment_intents", Read: true, Handle: listPaymentIntents})
	e.route(Route{Method: "GET", Pattern: "/v1/payment_intents/search", Read: true, Handle: func(c *Ctx) (any, error) {
		return searchObjects(c, kindPaymentIntent, "payment_intents", "/v1/payment_intents/search", search.FieldsFor("payment_intents"),
			nil, func(pi *PaymentIntent) (string, int64) { return pi.ID, pi.Created })
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/charges/{charge}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[Charge](c, kindCharge, c.Var("charge"), "id")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/charges", Read: true, Handle: listCharges})
	e.route(Route{Method: "GET", Pattern: "/v1/invoice_payments/{invoice_payment}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[InvoicePayment](c, kindInvoicePayment, c.Var("invoice_payment"), "id")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/invoice_payments", Read: true, Handle: listInvoicePayments})
}

func listPaymentIntents(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	meta := func(pi *PaymentIntent) (string, int64) { return pi.ID, pi.Created }
	if cu, ok := p.String("customer"); ok {
		// One customer's objects: its index term, sorted (a test-clock
		// customer's may be out of insertion order).
		items, err := scan[PaymentIntent](c, kindPaymentIntent, "customer="+cu, nil)
		if err != nil {
			return nil, err
		}
		return page(c, "/v1/payment_intents", items, meta)
	}
	clocks := newClockOwners(c)
	return listStored(c, "/v1/payment_intents", kindPaymentIntent, "", func(pi *PaymentIntent) bool { return !clocks.customer(pi.Customer) }, meta)
}

func listCharges(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "transfer_group"); err != nil {
		return nil, err
	}
	term := ""
	if cu, ok := p.String("customer"); ok {
		term = "customer=" + cu
	}
	pi, byPI := p.String("payment_intent")
	if byPI {
		term = "payment_intent=" + pi
	}
	cu, byCustomer := p.String("customer")
	meta := func(ch *Charge) (string, int64) { return ch.ID, ch.Created }
	if term == "" {
		clocks := newClockOwners(c)
		return listStored(c, "/v1/charges", kindCharge, "", func(ch *Charge) bool { return !clocks.customer(ch.Customer) }, meta)
	}
	items, err := scan(c, kindCharge, term, func(ch *Charge) bool {
		return !byCustomer || (ch.Customer != nil && *ch.Customer == cu)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/charges", items, meta)
}

func listInvoicePayments(c *Ctx) (any, error) {
	p := c.Params
	term := ""
	if inv, ok := p.String("invoice"); ok {
		term = "invoice=" + inv
	}
	var payPI string
	if pay, ok := p.Map("payment"); ok {
		if pay.Str("type") != "payment_intent" {
			return nil, unsupported(pay, "payment_record")
		}
		payPI = pay.Str("payment_intent")
		if term == "" {
			term = "payment_intent=" + payPI
		}
	}
	status, byStatus := p.String("status")
	items, err := scan(c, kindInvoicePayment, term, func(ip *InvoicePayment) bool {
		return (!byStatus || ip.Status == status) && (payPI == "" || ip.Payment.PaymentIntent == payPI)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/invoice_payments", items, func(ip *InvoicePayment) (string, int64) { return ip.ID, ip.Created })
}

// renderForError renders v as the raw JSON an error body embeds
// (payment_intent on a card error).
func renderForError(c *Ctx, v any) json.RawMessage {
	raw, err := c.e.renderIn(c, c.Version, v)
	if err != nil {
		return nil
	}
	return raw
}
