package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// Service is a small subscription business: it signs people up for a
// monthly plan with a free trial, and keeps each account's access in step
// with Stripe through webhooks. It knows nothing about the fake: the same
// code runs against Stripe.
type Service struct {
	stripe *stripe.Client

	mu       sync.Mutex
	price    string // the monthly plan's price
	secret   string // the webhook endpoint's signing secret
	accounts map[string]*Account
	seen     map[string]bool // event IDs handled: Stripe may deliver twice
}

// Account is what the service knows about one customer.
type Account struct {
	Email          string
	CustomerID     string
	SubscriptionID string
	Status         string // the subscription's status: trialing, active, past_due, canceled
	TrialEnding    bool   // the "your trial ends soon" email went out
	PaidInvoices   int    // invoices paid with money (the trial's $0 invoice is not counted)
	FailedPayments int
	Events         []string // the webhook events handled for this account, in order
}

// TrialDays is the plan's free trial.
const TrialDays = 14

// The events the service's webhook endpoint takes.
var webhookEvents = []string{
	"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
	"customer.subscription.trial_will_end", "invoice.created", "invoice.paid", "invoice.payment_failed",
}

// NewService returns a service that talks to Stripe through sc.
func NewService(sc *stripe.Client) *Service {
	return &Service{stripe: sc, accounts: map[string]*Account{}, seen: map[string]bool{}}
}

// Setup creates the plan and registers webhookURL as the webhook endpoint,
// keeping its signing secret.
func (s *Service) Setup(ctx context.Context, webhookURL string) error {
	price, err := s.stripe.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(2000),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Pro")},
	})
	if err != nil {
		return fmt.Errorf("create price: %w", err)
	}
	we, err := s.stripe.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
		URL: stripe.String(webhookURL), EnabledEvents: stripe.StringSlice(webhookEvents),
	})
	if err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	s.mu.Lock()
	s.price, s.secret = price.ID, we.Secret
	s.mu.Unlock()
	return nil
}

// Signup makes a customer paying with paymentMethod and subscribes them to
// the plan with a free trial.
func (s *Service) Signup(ctx context.Context, email, paymentMethod string) (Account, error) {
	s.mu.Lock()
	price := s.price
	s.mu.Unlock()
	cu, err := s.stripe.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
		Email: stripe.String(email), PaymentMethod: stripe.String(paymentMethod),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(paymentMethod)},
	})
	if err != nil {
		return Account{}, fmt.Errorf("create customer: %w", err)
	}
	s.mu.Lock()
	s.accounts[cu.ID] = &Account{Email: email, CustomerID: cu.ID}
	s.mu.Unlock()
	sub, err := s.stripe.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
		Customer:        stripe.String(cu.ID),
		Items:           []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(price)}},
		TrialPeriodDays: stripe.Int64(TrialDays),
	})
	if err != nil {
		return Account{}, fmt.Errorf("create subscription: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[cu.ID]
	a.SubscriptionID = sub.ID
	if a.Status == "" {
		a.Status = string(sub.Status)
	}
	return s.copyOf(a), nil
}

// ChangePaymentMethod attaches paymentMethod to the customer and makes it
// the one invoices are charged to.
func (s *Service) ChangePaymentMethod(ctx context.Context, customerID, paymentMethod string) error {
	pm, err := s.stripe.V1PaymentMethods.Attach(ctx, paymentMethod, &stripe.PaymentMethodAttachParams{Customer: stripe.String(customerID)})
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	_, err = s.stripe.V1Customers.Update(ctx, customerID, &stripe.CustomerUpdateParams{
		InvoiceSettings: &stripe.CustomerUpdateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm.ID)},
	})
	return err
}

// Account returns a copy of the account of customerID.
func (s *Service) Account(customerID string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[customerID]
	if !ok {
		return Account{}, false
	}
	return s.copyOf(a), true
}

func (s *Service) copyOf(a *Account) Account {
	out := *a
	out.Events = append([]string(nil), a.Events...)
	return out
}

// ServeHTTP is the webhook handler: it checks the signature, then brings
// the account up to date. It answers 2xx once the event is handled, so
// that Stripe retries anything it could not handle.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	secret := s.secret
	s.mu.Unlock()
	ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), secret)
	if err != nil {
		http.Error(w, "bad signature: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.handle(r.Context(), ev); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Service) handle(ctx context.Context, ev stripe.Event) error {
	s.mu.Lock()
	if s.seen[ev.ID] {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	var customerID string
	var update func(a *Account)
	switch ev.Type {
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil {
			return err
		}
		customerID = sub.Customer.ID
		update = func(a *Account) { a.SubscriptionID, a.Status = sub.ID, string(sub.Status) }
	case "customer.subscription.trial_will_end":
		var sub stripe.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil {
			return err
		}
		customerID = sub.Customer.ID
		update = func(a *Account) { a.TrialEnding = true }
	case "invoice.created", "invoice.paid", "invoice.payment_failed":
		var inv stripe.Invoice
		if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
			return err
		}
		customerID = inv.Customer.ID
		switch {
		case ev.Type == "invoice.paid" && inv.AmountPaid > 0:
			update = func(a *Account) { a.PaidInvoices++ }
		case ev.Type == "invoice.payment_failed":
			// Ask Stripe where the subscription stands now: the handler
			// calls the API while the webhook is being delivered.
			sub, err := s.stripe.V1Subscriptions.Retrieve(ctx, subscriptionOf(&inv), nil)
			if err != nil {
				return fmt.Errorf("retrieve subscription: %w", err)
			}
			update = func(a *Account) { a.FailedPayments++; a.Status = string(sub.Status) }
		}
	default:
		return nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[customerID]
	if !ok {
		return nil // someone else's customer
	}
	a.Events = append(a.Events, string(ev.Type))
	if update != nil {
		update(a)
	}
	s.seen[ev.ID] = true
	return nil
}

// subscriptionOf returns the subscription an invoice bills.
func subscriptionOf(inv *stripe.Invoice) string {
	if inv.Parent != nil && inv.Parent.SubscriptionDetails != nil && inv.Parent.SubscriptionDetails.Subscription != nil {
		return inv.Parent.SubscriptionDetails.Subscription.ID
	}
	return ""
}
