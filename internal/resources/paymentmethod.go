package resources

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Payment methods: type=card only, built from Stripe's test cards.
//
// Every card comes from one table (testCards) that maps test-mode magic IDs
// (pm_card_visa), tokens (tok_visa) and raw test numbers (4242424242424242)
// to the card's details and its test behaviour: declines on attach, declines
// on every charge, or authentication.
//
// Decisions on points the reference does not confirm:
//   - A magic ID named by a write (attach, customer create's payment_method,
//     loadPaymentMethod) becomes a NEW stored pm_… cloned from the test card,
//     as in Stripe. GET /v1/payment_methods/pm_card_visa answers the card
//     rendered with the magic ID as its id and stores nothing, so a read
//     never writes.
//   - Attaching a payment method that is already attached fails, whichever
//     customer it is attached to; a detached one can never be attached again.
//   - Only attached payment methods can be updated, so updating a magic ID
//     fails like updating any unattached payment method.
//   - payment_method.detached carries previous_attributes {customer: old};
//     payment_method.attached carries none.
//   - A raw number that is not in the table is refused as a live card, as
//     Stripe test mode does; an expiry month earlier than the current month
//     of the current year is invalid_expiry_month.
//   - Card errors from raw card details name the parameter (card[number],
//     card[exp_month], ...).
//   - A card from a magic ID or token expires in the current month three
//     years from now, so test clocks can run for years without it expiring.
//   - chargeError models off-session charges: authenticationRequiredOnSetup
//     succeeds once attached (saved counts as set up, §11),
//     authenticationRequiredSetupForOffSession always succeeds, the other
//     authentication cards answer authentication_required.

const kindPaymentMethod = "payment_method"

// PaymentMethod is Stripe's payment_method object (dahlia shape), type card.
type PaymentMethod struct {
	ID              string             `json:"id"`
	Object          string             `json:"object"`
	AllowRedisplay  string             `json:"allow_redisplay"`
	BillingDetails  BillingDetails     `json:"billing_details"`
	Card            *PaymentMethodCard `json:"card"`
	Created         int64              `json:"created"`
	Customer        *string            `json:"customer"`
	CustomerAccount *string            `json:"customer_account"`
	Livemode        bool               `json:"livemode"`
	Metadata        map[string]string  `json:"metadata"`
	Type            string             `json:"type"`

	// TestBehavior names the test card's behaviour (a key of
	// cardBehaviors). It is stored with the payment method and never
	// rendered: wire drops it.
	TestBehavior string `json:"_behavior,omitempty"`
	// Detached is set when the payment method is detached: Stripe never
	// lets it be attached or used again. Never rendered.
	Detached bool `json:"_detached,omitempty"`
}

// BillingDetails is Stripe's billing_details hash.
type BillingDetails struct {
	Address map[string]any `json:"address"`
	Email   *string        `json:"email"`
	Name    *string        `json:"name"`
	Phone   *string        `json:"phone"`
	TaxID   *string        `json:"tax_id"`
}

// PaymentMethodCard is the card hash of a card payment method.
type PaymentMethodCard struct {
	Brand             string                          `json:"brand"`
	Checks            *PaymentMethodCardChecks        `json:"checks"`
	Country           *string                         `json:"country"`
	DisplayBrand      string                          `json:"display_brand"`
	ExpMonth          int64                           `json:"exp_month"`
	ExpYear           int64                           `json:"exp_year"`
	Fingerprint       string                          `json:"fingerprint"`
	Funding           string                          `json:"funding"`
	GeneratedFrom     map[string]any                  `json:"generated_from"`
	Last4             string                          `json:"last4"`
	Networks          *PaymentMethodCardNetworks      `json:"networks"`
	RegulatedStatus   *string                         `json:"regulated_status"`
	ThreeDSecureUsage *PaymentMethodThreeDSecureUsage `json:"three_d_secure_usage"`
	Wallet            map[string]any                  `json:"wallet"`
}

// PaymentMethodCardChecks is the card's checks hash.
type PaymentMethodCardChecks struct {
	AddressLine1Check      *string `json:"address_line1_check"`
	AddressPostalCodeCheck *string `json:"address_postal_code_check"`
	CVCCheck               *string `json:"cvc_check"`
}

// PaymentMethodCardNetworks is the card's networks hash.
type PaymentMethodCardNetworks struct {
	Available []string `json:"available"`
	Preferred *string  `json:"preferred"`
}

// PaymentMethodThreeDSecureUsage is the card's three_d_secure_usage hash.
type PaymentMethodThreeDSecureUsage struct {
	Supported bool `json:"supported"`
}

// wire renders a copy without the stored-only fields.
func (pm *PaymentMethod) wire(string) any {
	out := *pm
	out.TestBehavior = ""
	out.Detached = false
	return &out
}

func paymentMethodTerms(pm *PaymentMethod) []string {
	if pm.Customer == nil {
		return nil
	}
	return []string{"customer=" + *pm.Customer}
}

func savePaymentMethod(c *Ctx, pm *PaymentMethod) error {
	return c.save(kindPaymentMethod, pm.ID, pm, paymentMethodTerms(pm)...)
}

// ---- Test cards ----

// testCard is one row of Stripe's test card table.
type testCard struct {
	// names are the suffixes of the magic IDs: pm_card_<name> and
	// tok_<name> for each. The first is the canonical one.
	names    []string
	number   string
	brand    string
	funding  string
	country  string
	behavior string // a key of cardBehaviors; "" for a card that just works
}

// Behaviours of test cards, the keys of cardBehaviors.
const (
	behaveDeclineGeneric            = "decline_generic"
	behaveDeclineInsufficientFunds  = "decline_insufficient_funds"
	behaveDeclineLostCard           = "decline_lost_card"
	behaveDeclineStolenCard         = "decline_stolen_card"
	behaveDeclineExpiredCard        = "decline_expired_card"
	behaveDeclineIncorrectCVC       = "decline_incorrect_cvc"
	behaveDeclineProcessingError    = "decline_processing_error"
	behaveDeclineVelocity           = "decline_velocity_limit"
	behaveChargeCustomerFail        = "charge_customer_fail"
	behaveAuthOnSetup               = "authentication_required_on_setup"
	behaveAuthAlways                = "authentication_required"
	behaveAuthSetupForOffSession    = "authentication_required_setup_for_off_session"
	behaveAuthThenInsufficientFunds = "authentication_required_then_insufficient_funds"
	behaveThreeDSecure2Required     = "three_d_secure_2_required"
	behaveThreeDSecureThenDecline   = "three_d_secure_required_then_decline"
)

// cardDecline is a card error's code, decline_code and message.
type cardDecline struct {
	code, declineCode, message string
}

func (d *cardDecline) err() *apierr.Error {
	return apierr.Card(d.code, d.declineCode, d.message)
}

// Stripe's decline answers (api-conventions §11).
var (
	declineGeneric           = &cardDecline{"card_declined", "generic_decline", "Your card was declined."}
	declineInsufficientFunds = &cardDecline{"card_declined", "insufficient_funds", "Your card has insufficient funds."}
	declineLostCard          = &cardDecline{"card_declined", "lost_card", "Your card was declined."}
	declineStolenCard        = &cardDecline{"card_declined", "stolen_card", "Your card was declined."}
	declineExpiredCard       = &cardDecline{"expired_card", "", "Your card has expired."}
	declineIncorrectCVC      = &cardDecline{"incorrect_cvc", "", "Your card's security code is incorrect."}
	declineProcessingError   = &cardDecline{"processing_error", "", "An error occurred while processing your card. Try again in a little bit."}
	declineVelocity          = &cardDecline{"card_declined", "card_velocity_exceeded", "Your card was declined for making repeated attempts too frequently or exceeding its amount limit."}
	declineAuthRequired      = &cardDecline{"authentication_required", "authentication_required", "Your card was declined. This transaction requires authentication."}
	declineLiveCard          = &cardDecline{"card_declined", "test_mode_live_card", "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing."}
)

// When a card asks for authentication (3D Secure) on a charge.
const (
	authAlways          = "always"          // every charge, off-session included
	authUnlessSaved     = "unless_saved"    // until saved to a customer
	authOnSessionCharge = "on_session_only" // set up already: off-session succeeds
)

// cardBehavior is what a test card does.
type cardBehavior struct {
	// refusesAttach: attaching fails with decline (the decline table).
	refusesAttach bool
	// decline is what every charge gets, once any authentication is done;
	// nil when charges succeed.
	decline *cardDecline
	// authentication is when a charge needs the customer to authenticate.
	authentication string
}

var cardBehaviors = map[string]cardBehavior{
	"":                              {},
	behaveDeclineGeneric:            {refusesAttach: true, decline: declineGeneric},
	behaveDeclineInsufficientFunds:  {refusesAttach: true, decline: declineInsufficientFunds},
	behaveDeclineLostCard:           {refusesAttach: true, decline: declineLostCard},
	behaveDeclineStolenCard:         {refusesAttach: true, decline: declineStolenCard},
	behaveDeclineExpiredCard:        {refusesAttach: true, decline: declineExpiredCard},
	behaveDeclineIncorrectCVC:       {refusesAttach: true, decline: declineIncorrectCVC},
	behaveDeclineProcessingError:    {refusesAttach: true, decline: declineProcessingError},
	behaveDeclineVelocity:           {refusesAttach: true, decline: declineVelocity},
	behaveChargeCustomerFail:        {decline: declineGeneric},
	behaveAuthOnSetup:               {authentication: authUnlessSaved},
	behaveAuthAlways:                {authentication: authAlways},
	behaveAuthSetupForOffSession:    {authentication: authOnSessionCharge},
	behaveAuthThenInsufficientFunds: {authentication: authAlways, decline: declineInsufficientFunds},
	behaveThreeDSecure2Required:     {authentication: authAlways},
	behaveThreeDSecureThenDecline:   {authentication: authAlways, decline: declineGeneric},
}

// testCards is Stripe's test card table: the one place a test value is
// described.
var testCards = []testCard{
	{names: []string{"visa"}, number: "4242424242424242", brand: "visa", funding: "credit"},
	{names: []string{"visa_debit"}, number: "4000056655665556", brand: "visa", funding: "debit"},
	{names: []string{"mastercard"}, number: "5555555555554444", brand: "mastercard", funding: "credit"},
	{names: []string{"mastercard_debit"}, number: "5200828282828210", brand: "mastercard", funding: "debit"},
	{names: []string{"mastercard_prepaid"}, number: "5105105105105100", brand: "mastercard", funding: "prepaid"},
	{names: []string{"amex"}, number: "378282246310005", brand: "amex", funding: "credit"},
	{names: []string{"discover"}, number: "6011111111111117", brand: "discover", funding: "credit"},
	{names: []string{"diners"}, number: "3056930009020004", brand: "diners", funding: "credit"},
	{names: []string{"jcb"}, number: "3566002020360505", brand: "jcb", funding: "credit"},
	{names: []string{"unionpay"}, number: "6200000000000005", brand: "unionpay", funding: "credit"},

	{names: []string{"visa_chargeDeclined", "chargeDeclined"}, number: "4000000000000002", brand: "visa", funding: "credit", behavior: behaveDeclineGeneric},
	{names: []string{"visa_chargeDeclinedInsufficientFunds", "chargeDeclinedInsufficientFunds"}, number: "4000000000009995", brand: "visa", funding: "credit", behavior: behaveDeclineInsufficientFunds},
	{names: []string{"visa_chargeDeclinedLostCard", "chargeDeclinedLostCard"}, number: "4000000000009987", brand: "visa", funding: "credit", behavior: behaveDeclineLostCard},
	{names: []string{"visa_chargeDeclinedStolenCard", "chargeDeclinedStolenCard"}, number: "4000000000009979", brand: "visa", funding: "credit", behavior: behaveDeclineStolenCard},
	{names: []string{"chargeDeclinedExpiredCard"}, number: "4000000000000069", brand: "visa", funding: "credit", behavior: behaveDeclineExpiredCard},
	{names: []string{"chargeDeclinedIncorrectCvc"}, number: "4000000000000127", brand: "visa", funding: "credit", behavior: behaveDeclineIncorrectCVC},
	{names: []string{"chargeDeclinedProcessingError"}, number: "4000000000000119", brand: "visa", funding: "credit", behavior: behaveDeclineProcessingError},
	{names: []string{"visa_chargeDeclinedVelocityLimitExceeded"}, number: "4000000000006975", brand: "visa", funding: "credit", behavior: behaveDeclineVelocity},
	{names: []string{"chargeCustomerFail"}, number: "4000000000000341", brand: "visa", funding: "credit", behavior: behaveChargeCustomerFail},

	{names: []string{"authenticationRequiredOnSetup"}, number: "4000002500003155", brand: "visa", funding: "credit", behavior: behaveAuthOnSetup},
	{names: []string{"authenticationRequired"}, number: "4000002760003184", brand: "visa", funding: "credit", behavior: behaveAuthAlways},
	{names: []string{"authenticationRequiredSetupForOffSession"}, number: "4000003800000446", brand: "visa", funding: "credit", behavior: behaveAuthSetupForOffSession},
	{names: []string{"authenticationRequiredChargeDeclinedInsufficientFunds"}, number: "4000008260003178", brand: "visa", funding: "credit", behavior: behaveAuthThenInsufficientFunds},
	{names: []string{"threeDSecure2Required"}, number: "4000000000003220", brand: "visa", funding: "credit", behavior: behaveThreeDSecure2Required},
	{names: []string{"threeDSecureRequiredChargeDeclined"}, number: "4000008400001629", brand: "visa", funding: "credit", behavior: behaveThreeDSecureThenDecline},
}

// Prefixes of the magic IDs.
const (
	magicPMPrefix    = "pm_card_"
	magicTokenPrefix = "tok_"
)

// Indexes over testCards, built once.
var (
	testCardsByName   = map[string]*testCard{}
	testCardsByNumber = map[string]*testCard{}
)

func init() {
	for i := range testCards {
		tc := &testCards[i]
		if tc.country == "" {
			tc.country = "US"
		}
		for _, n := range tc.names {
			testCardsByName[n] = tc
		}
		testCardsByNumber[tc.number] = tc
	}
}

// magicCard returns the test card a magic ID with prefix names
// (pm_card_visa, tok_visa).
func magicCard(prefix, id string) (*testCard, bool) {
	name, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return nil, false
	}
	tc, ok := testCardsByName[name]
	return tc, ok
}

// displayBrands maps brand to display_brand.
var displayBrands = map[string]string{
	"amex": "american_express", "diners": "diners_club", "discover": "discover", "jcb": "jcb",
	"mastercard": "mastercard", "unionpay": "union_pay", "visa": "visa",
}

// cardDetails are the values a card payment method is built from.
type cardDetails struct {
	card      *testCard
	expMonth  int64
	expYear   int64
	cvcCheck  *string
	preferred *string // card[networks][preferred]
}

// magicDetails are the details of a card named by a magic ID or token:
// an expiry three years ahead of now and a passing CVC.
func magicDetails(c *Ctx, tc *testCard) cardDetails {
	now := c.Now().UTC()
	return cardDetails{card: tc, expMonth: int64(now.Month()), expYear: int64(now.Year() + 3), cvcCheck: cvcCheckValue("pass")}
}

// newCardPaymentMethod builds (but does not save) a payment method with id.
func newCardPaymentMethod(c *Ctx, id string, d cardDetails) *PaymentMethod {
	tc := d.card
	country := tc.country
	regulated := "unregulated"
	cvcCheck := d.cvcCheck
	if tc.behavior == behaveDeclineIncorrectCVC && cvcCheck != nil {
		cvcCheck = cvcCheckValue("fail")
	}
	networks := &PaymentMethodCardNetworks{Available: []string{tc.brand}}
	setPreferredNetwork(networks, d.preferred)
	return &PaymentMethod{
		ID: id, Object: kindPaymentMethod, AllowRedisplay: "unspecified",
		BillingDetails: BillingDetails{Address: emptyBillingAddress()},
		Card: &PaymentMethodCard{
			Brand: tc.brand, Checks: &PaymentMethodCardChecks{CVCCheck: cvcCheck}, Country: &country,
			DisplayBrand: displayBrands[tc.brand], ExpMonth: d.expMonth, ExpYear: d.expYear,
			Fingerprint: cardFingerprint(tc.number), Funding: tc.funding,
			Last4: tc.number[len(tc.number)-4:], Networks: networks, RegulatedStatus: &regulated,
			ThreeDSecureUsage: &PaymentMethodThreeDSecureUsage{Supported: true},
		},
		Created: c.Unix(), Metadata: map[string]string{}, Type: "card", TestBehavior: tc.behavior,
	}
}

// setPreferredNetwork applies card[networks][preferred]: a network the card
// does not have becomes "invalid_preference", as Stripe reports it.
func setPreferredNetwork(n *PaymentMethodCardNetworks, preferred *string) {
	n.Preferred = nil
	if preferred == nil {
		return
	}
	v := "invalid_preference"
	for _, a := range n.Available {
		if a == *preferred {
			v = a
		}
	}
	n.Preferred = &v
}

// cardFingerprint derives the fingerprint from the card number, so the same
// number always has the same fingerprint.
func cardFingerprint(number string) string {
	return randomString(base62, hashString("card-fingerprint:"+number), 16)
}

func emptyBillingAddress() map[string]any {
	out := make(map[string]any, len(addressFields))
	for _, f := range addressFields {
		out[f] = nil
	}
	return out
}

// cvcCheckValue returns a cvc_check value ("pass", "fail") to point at.
func cvcCheckValue(v string) *string { return &v }

// ---- Raw card details ----

// cardParamError is a 402 card_error naming the parameter at fault.
func cardParamError(d *cardDecline, param string) *apierr.Error {
	e := d.err()
	e.Param = param
	return e
}

var (
	errIncorrectNumber    = &cardDecline{"incorrect_number", "", "Your card number is incorrect."}
	errInvalidExpiryMonth = &cardDecline{"invalid_expiry_month", "", "Your card's expiration month is invalid."}
	errInvalidExpiryYear  = &cardDecline{"invalid_expiry_year", "", "Your card's expiration year is invalid."}
	errInvalidCVC         = &cardDecline{"invalid_cvc", "", "Your card's security code is invalid."}
)

// cardFromParams reads the card hash of a create: either card[token] or
// card[number|exp_month|exp_year|cvc].
func cardFromParams(c *Ctx, card Params) (cardDetails, error) {
	var preferred *string
	if nw, ok := card.Map("networks"); ok {
		if v, ok := nw.String("preferred"); ok && v != "" {
			preferred = &v
		}
	}
	if tok, ok := card.String("token"); ok {
		tc, ok := magicCard(magicTokenPrefix, tok)
		if !ok {
			return cardDetails{}, apierr.NoSuch(http.StatusBadRequest, "token", tok, card.Path("token"))
		}
		d := magicDetails(c, tc)
		d.preferred = preferred
		return d, nil
	}
	number, err := card.Require("number")
	if err != nil {
		return cardDetails{}, err
	}
	month, err := card.RequireInt("exp_month")
	if err != nil {
		return cardDetails{}, err
	}
	year, err := card.RequireInt("exp_year")
	if err != nil {
		return cardDetails{}, err
	}
	if !validCardNumber(number) {
		return cardDetails{}, cardParamError(errIncorrectNumber, card.Path("number"))
	}
	year, err = checkExpiry(c, card, month, year)
	if err != nil {
		return cardDetails{}, err
	}
	var cvcCheck *string
	if cvc, ok := card.String("cvc"); ok {
		if !validCVC(cvc) {
			return cardDetails{}, cardParamError(errInvalidCVC, card.Path("cvc"))
		}
		cvcCheck = cvcCheckValue("pass")
	}
	tc, ok := testCardsByNumber[number]
	if !ok {
		return cardDetails{}, cardParamError(declineLiveCard, card.Path("number"))
	}
	return cardDetails{card: tc, expMonth: month, expYear: year, cvcCheck: cvcCheck, preferred: preferred}, nil
}

// checkExpiry validates an expiry against the fake's now and returns the
// four-digit year (Stripe accepts two-digit years).
func checkExpiry(c *Ctx, card Params, month, year int64) (int64, error) {
	if month < 1 || month > 12 {
		return 0, cardParamError(errInvalidExpiryMonth, card.Path("exp_month"))
	}
	if year >= 0 && year < 100 {
		year += 2000
	}
	now := c.Now().UTC()
	thisYear, thisMonth := int64(now.Year()), int64(now.Month())
	if year < thisYear || year > thisYear+50 {
		return 0, cardParamError(errInvalidExpiryYear, card.Path("exp_year"))
	}
	if year == thisYear && month < thisMonth {
		return 0, cardParamError(errInvalidExpiryMonth, card.Path("exp_month"))
	}
	return year, nil
}

// validCardNumber checks length and the Luhn checksum.
func validCardNumber(number string) bool {
	if len(number) < 12 || len(number) > 19 {
		return false
	}
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		ch := number[i]
		if ch < '0' || ch > '9' {
			return false
		}
		d := int(ch - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func validCVC(cvc string) bool {
	if len(cvc) < 3 || len(cvc) > 4 {
		return false
	}
	for i := 0; i < len(cvc); i++ {
		if cvc[i] < '0' || cvc[i] > '9' {
			return false
		}
	}
	return true
}

// ---- Errors with Stripe's wording ----

func errPMAlreadyAttached() error {
	return apierr.InvalidRequest("", "The payment method you provided has already been attached to a customer.")
}

func errPMNotAttached() error {
	return apierr.InvalidRequest("", "The payment method you provided is not attached to a customer so detachment is impossible.")
}

// errPMDetachedReuse is Stripe's answer to any use of a detached payment method.
func errPMDetachedReuse() *apierr.Error {
	return apierr.InvalidRequest("", "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.")
}

func errPMUpdateUnattached() error {
	return apierr.InvalidRequest("", "You must save this PaymentMethod to a customer before you can update it.")
}

func errPMNotCustomers(pm, param string) error {
	return apierr.InvalidRequest(param, fmt.Sprintf("The customer does not have a payment method with the ID %s. The payment method must be attached to the customer.", pm))
}

// ---- The package's contract for other families ----

// loadPaymentMethod returns the payment method id names; param names where
// the ID came from ("id" for the path). A test value such as pm_card_visa
// becomes a new stored, unattached pm_…, as in Stripe, so that needs a
// write transaction.
func loadPaymentMethod(c *Ctx, id, param string) (*PaymentMethod, error) {
	if tc, ok := magicCard(magicPMPrefix, id); ok {
		pm, err := cloneTestCard(c, tc)
		if err != nil {
			return nil, err
		}
		return pm, savePaymentMethod(c, pm)
	}
	return get[PaymentMethod](c, kindPaymentMethod, id, param)
}

// chargeError is what an off-session charge of pm (an invoice payment, a
// renewal) gets: nil when it succeeds, else the error to answer, a 402
// card_error for test cards that decline or need authentication. A
// detached payment method cannot be charged at all.
func chargeError(pm *PaymentMethod) *apierr.Error {
	if pm.Detached {
		return errPMDetachedReuse()
	}
	b := cardBehaviors[pm.TestBehavior]
	switch b.authentication {
	case authAlways:
		return declineAuthRequired.err()
	case authUnlessSaved:
		// Saved to a customer counts as set up for off-session use (§11).
		if pm.Customer == nil {
			return declineAuthRequired.err()
		}
	}
	if b.decline != nil {
		return b.decline.err()
	}
	return nil
}

// chargeErrorAfterAuthentication is what a charge of pm gets once the
// customer has completed authentication: nil when it succeeds. For the
// PaymentIntent flows.
func chargeErrorAfterAuthentication(pm *PaymentMethod) *apierr.Error {
	if pm.Detached {
		return errPMDetachedReuse()
	}
	if b := cardBehaviors[pm.TestBehavior]; b.decline != nil {
		return b.decline.err()
	}
	return nil
}

// attachPaymentMethod attaches pm to cu and returns the attached payment
// method's ID (a test value such as pm_card_visa becomes a new pm_…); param
// names where pm came from, for errors.
func attachPaymentMethod(c *Ctx, pm string, cu *Customer, param string) (string, error) {
	p, err := paymentMethodToAttach(c, pm, param)
	if err != nil {
		return "", err
	}
	if err := attachToCustomer(c, p, cu); err != nil {
		return "", err
	}
	return p.ID, nil
}

// requireAttached checks that pm is attached to customer.
func requireAttached(c *Ctx, pm, customer, param string) error {
	if _, ok := magicCard(magicPMPrefix, pm); ok {
		// A test value names a fresh payment method, attached to no one.
		return errPMNotCustomers(pm, param)
	}
	p, err := get[PaymentMethod](c, kindPaymentMethod, pm, param)
	if err != nil {
		return err
	}
	if p.Customer == nil || *p.Customer != customer {
		return errPMNotCustomers(pm, param)
	}
	return nil
}

// detachAllPaymentMethods detaches every payment method of a deleted
// customer. The caller saves the customer.
func detachAllPaymentMethods(c *Ctx, customer string) error {
	pms, err := scan[PaymentMethod](c, kindPaymentMethod, "customer="+customer, nil)
	if err != nil {
		return err
	}
	for _, pm := range pms {
		if err := detachFromCustomer(c, pm); err != nil {
			return err
		}
	}
	return nil
}

// cloneTestCard builds a new, unsaved pm_… from a test card.
func cloneTestCard(c *Ctx, tc *testCard) (*PaymentMethod, error) {
	id, err := c.NewID("pm")
	if err != nil {
		return nil, err
	}
	return newCardPaymentMethod(c, id, magicDetails(c, tc)), nil
}

// paymentMethodToAttach loads the payment method id names, a test value
// becoming a new one (saved only once attached).
func paymentMethodToAttach(c *Ctx, id, param string) (*PaymentMethod, error) {
	if tc, ok := magicCard(magicPMPrefix, id); ok {
		return cloneTestCard(c, tc)
	}
	return get[PaymentMethod](c, kindPaymentMethod, id, param)
}

// attachToCustomer saves pm as attached to cu and emits payment_method.attached.
func attachToCustomer(c *Ctx, pm *PaymentMethod, cu *Customer) error {
	if cu.Deleted {
		return c.e.noSuch(kindCustomer, cu.ID, "customer")
	}
	if pm.Customer != nil {
		return errPMAlreadyAttached()
	}
	if pm.Detached {
		return errPMDetachedReuse()
	}
	if b := cardBehaviors[pm.TestBehavior]; b.refusesAttach {
		return b.decline.err()
	}
	customer := cu.ID
	pm.Customer = &customer
	if err := savePaymentMethod(c, pm); err != nil {
		return err
	}
	return c.emit("payment_method.attached", pm, nil)
}

// detachFromCustomer saves pm as detached and emits payment_method.detached.
func detachFromCustomer(c *Ctx, pm *PaymentMethod) error {
	old := *pm.Customer
	pm.Customer = nil
	pm.Detached = true
	if err := savePaymentMethod(c, pm); err != nil {
		return err
	}
	return c.emit("payment_method.detached", pm, map[string]any{"customer": old})
}

// ---- Routes ----

func init() { families = append(families, registerPaymentMethods) }

func registerPaymentMethods(e *Engine) {
	e.kind(Kind{Object: kindPaymentMethod, NoSuch: "PaymentMethod", Load: loader[PaymentMethod](kindPaymentMethod)})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_methods", Handle: createPaymentMethod})
	e.route(Route{Method: "GET", Pattern: "/v1/payment_methods", Read: true, Handle: listPaymentMethods})
	e.route(Route{Method: "GET", Pattern: "/v1/payment_methods/{payment_method}", Read: true, Handle: retrievePaymentMethod})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_methods/{payment_method}", Handle: updatePaymentMethod})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_methods/{payment_method}/attach", Handle: attachPaymentMethodHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_methods/{payment_method}/detach", Handle: detachPaymentMethodHandler})
	e.route(Route{Method: "GET", Pattern: "/v1/customers/{customer}/payment_methods", Read: true, Handle: listCustomerPaymentMethods})
	e.route(Route{Method: "GET", Pattern: "/v1/customers/{customer}/payment_methods/{payment_method}", Read: true, Handle: retrieveCustomerPaymentMethod})
}

func createPaymentMethod(c *Ctx) (any, error) {
	p := c.Params
	// customer and payment_method clone a payment method onto a connected
	// account: Connect is not modelled.
	if err := unsupported(p, "customer", "customer_account", "payment_method", "radar_options"); err != nil {
		return nil, err
	}
	typ, err := p.Require("type")
	if err != nil {
		return nil, err
	}
	if typ != "card" {
		return nil, apierr.InvalidRequest("type", fmt.Sprintf("stripefake supports only payment methods of type 'card'; type '%s' is not supported yet.", typ))
	}
	card, ok := p.Map("card")
	if !ok {
		return nil, apierr.MissingParam("card")
	}
	d, err := cardFromParams(c, card)
	if err != nil {
		return nil, err
	}
	id, err := c.NewID("pm")
	if err != nil {
		return nil, err
	}
	pm := newCardPaymentMethod(c, id, d)
	if err := setPaymentMethodFields(pm, p); err != nil {
		return nil, err
	}
	// Stripe has no payment_method.created event.
	return pm, savePaymentMethod(c, pm)
}

// setPaymentMethodFields applies the parameters create and update share.
func setPaymentMethodFields(pm *PaymentMethod, p Params) error {
	if bd, ok := p.Map("billing_details"); ok {
		if bd.Empty("address") {
			pm.BillingDetails.Address = emptyBillingAddress()
		} else if bd.Has("address") {
			pm.BillingDetails.Address = bd.Object("address", addressFields...)
		}
		fields := map[string]**string{"email": &pm.BillingDetails.Email, "name": &pm.BillingDetails.Name,
			"phone": &pm.BillingDetails.Phone, "tax_id": &pm.BillingDetails.TaxID}
		for key, dst := range fields {
			if bd.Has(key) {
				*dst = bd.NullableString(key)
			}
		}
	}
	if v, ok := p.String("allow_redisplay"); ok {
		pm.AllowRedisplay = v
	}
	md, err := applyMetadata(p, pm.Metadata)
	if err != nil {
		return err
	}
	pm.Metadata = md
	return nil
}

func retrievePaymentMethod(c *Ctx) (any, error) {
	id := c.Var("payment_method")
	if tc, ok := magicCard(magicPMPrefix, id); ok {
		// A read stores nothing: the test card rendered under its magic ID.
		return newCardPaymentMethod(c, id, magicDetails(c, tc)), nil
	}
	return get[PaymentMethod](c, kindPaymentMethod, id, "id")
}

func updatePaymentMethod(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "payto", "us_bank_account"); err != nil {
		return nil, err
	}
	id := c.Var("payment_method")
	if _, ok := magicCard(magicPMPrefix, id); ok {
		return nil, errPMUpdateUnattached()
	}
	pm, err := get[PaymentMethod](c, kindPaymentMethod, id, "id")
	if err != nil {
		return nil, err
	}
	if pm.Customer == nil {
		return nil, errPMUpdateUnattached()
	}
	// A snapshot, not a copy: the card hash is shared by pointer.
	before, err := toMap(pm.wire(string(c.Version)))
	if err != nil {
		return nil, err
	}
	if card, ok := p.Map("card"); ok {
		if err := updateCard(c, pm.Card, card); err != nil {
			return nil, err
		}
	}
	if err := setPaymentMethodFields(pm, p); err != nil {
		return nil, err
	}
	if err := savePaymentMethod(c, pm); err != nil {
		return nil, err
	}
	_, err = c.emitUpdated("payment_method.updated", before, pm.wire(string(c.Version)))
	return pm, err
}

// updateCard applies card[exp_month|exp_year|networks] of an update.
func updateCard(c *Ctx, pc *PaymentMethodCard, card Params) error {
	month, year := pc.ExpMonth, pc.ExpYear
	if n, ok := card.Int("exp_month"); ok {
		month = n
	}
	if n, ok := card.Int("exp_year"); ok {
		year = n
	}
	if card.Has("exp_month") || card.Has("exp_year") {
		y, err := checkExpiry(c, card, month, year)
		if err != nil {
			return err
		}
		pc.ExpMonth, pc.ExpYear = month, y
	}
	if nw, ok := card.Map("networks"); ok && nw.Has("preferred") {
		var preferred *string
		if v, ok := nw.String("preferred"); ok && v != "" {
			preferred = &v
		}
		setPreferredNetwork(pc.Networks, preferred)
	}
	return nil
}

func attachPaymentMethodHandler(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	pm, err := paymentMethodToAttach(c, c.Var("payment_method"), "id")
	if err != nil {
		return nil, err
	}
	customer, err := p.Require("customer")
	if err != nil {
		return nil, err
	}
	cu, err := liveCustomer(c, customer, "customer")
	if err != nil {
		return nil, err
	}
	return pm, attachToCustomer(c, pm, cu)
}

func detachPaymentMethodHandler(c *Ctx) (any, error) {
	id := c.Var("payment_method")
	if _, ok := magicCard(magicPMPrefix, id); ok {
		return nil, errPMNotAttached() // a fresh payment method is attached to no one
	}
	pm, err := get[PaymentMethod](c, kindPaymentMethod, id, "id")
	if err != nil {
		return nil, err
	}
	if pm.Customer == nil {
		return nil, errPMNotAttached()
	}
	customer := *pm.Customer
	if err := detachFromCustomer(c, pm); err != nil {
		return nil, err
	}
	// A detached payment method cannot stay the customer's default.
	cu, err := get[Customer](c, kindCustomer, customer, "customer")
	if err != nil {
		return nil, err
	}
	dpm := cu.InvoiceSettings.DefaultPaymentMethod
	if !cu.Deleted && dpm != nil && *dpm == pm.ID {
		before := *cu
		cu.InvoiceSettings.DefaultPaymentMethod = nil
		if err := saveCustomer(c, cu); err != nil {
			return nil, err
		}
		if _, err := c.emitUpdated("customer.updated", &before, cu); err != nil {
			return nil, err
		}
	}
	return pm, nil
}

func listPaymentMethods(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	term := ""
	if customer, ok := p.String("customer"); ok {
		if _, err := liveCustomer(c, customer, "customer"); err != nil {
			return nil, err
		}
		term = "customer=" + customer
	}
	return pagePaymentMethods(c, "/v1/payment_methods", term)
}

func listCustomerPaymentMethods(c *Ctx) (any, error) {
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	return pagePaymentMethods(c, "/v1/customers/"+cu.ID+"/payment_methods", "customer="+cu.ID)
}

// pagePaymentMethods lists the payment methods carrying term (all when
// empty), filtered by type and allow_redisplay.
func pagePaymentMethods(c *Ctx, url, term string) (any, error) {
	typ, byType := c.Params.String("type")
	redisplay, byRedisplay := c.Params.String("allow_redisplay")
	items, err := scan(c, kindPaymentMethod, term, func(pm *PaymentMethod) bool {
		return (!byType || pm.Type == typ) && (!byRedisplay || pm.AllowRedisplay == redisplay)
	})
	if err != nil {
		return nil, err
	}
	l, err := page(c, url, items, func(pm *PaymentMethod) (string, int64) { return pm.ID, pm.Created })
	if err != nil {
		return nil, err
	}
	// List items are marshalled as they are, so render each one here.
	for i, it := range l.Data {
		l.Data[i] = it.(*PaymentMethod).wire(string(c.Version))
	}
	return l, nil
}

func retrieveCustomerPaymentMethod(c *Ctx) (any, error) {
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	id := c.Var("payment_method")
	pm, err := get[PaymentMethod](c, kindPaymentMethod, id, "id")
	if err != nil {
		return nil, err
	}
	if pm.Customer == nil || *pm.Customer != cu.ID {
		return nil, c.e.noSuch(kindPaymentMethod, id, "id")
	}
	return pm, nil
}
