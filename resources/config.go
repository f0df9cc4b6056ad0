package resources

import "time"

// SubscriptionsConfig is the account-level Billing settings that decide
// what subscriptions do through time; fake.WithSubscriptions edits it.
type SubscriptionsConfig struct {
	// RetrySchedule is the wait before each automatic retry of a
	// subscription's invoice: after the k-th failed attempt, the next comes
	// RetrySchedule[k-1] later; none is left after the last. Default: Smart
	// Retries' recommended "8 tries within 2 weeks", made deterministic: the
	// first attempt then seven retries two days apart.
	RetrySchedule []time.Duration
	// FinalAction is what happens to the subscription when the last retry
	// fails: "cancel" (default), "unpaid" or "past_due" (leave it).
	FinalAction string
	// MarkUncollectibleAfterRetries marks the invoice uncollectible when
	// its last retry fails; default false: leave it open (past due).
	MarkUncollectibleAfterRetries bool
	// TrialWillEndLead is how long before trial_end
	// customer.subscription.trial_will_end is sent. Default 3 days.
	TrialWillEndLead time.Duration
	// IncompleteExpiry is how long an incomplete subscription waits for its
	// first payment before becoming incomplete_expired. Default 23 hours.
	IncompleteExpiry time.Duration
	// UpcomingInvoiceLead is how long before each renewal of a
	// charge_automatically subscription the invoice.upcoming event is sent
	// (the Dashboard's "upcoming renewal events" setting). Default 7 days;
	// 0 or negative sends none.
	UpcomingInvoiceLead time.Duration
}

// DefaultSubscriptionsConfig returns Stripe's defaults, as described on
// SubscriptionsConfig's fields.
func DefaultSubscriptionsConfig() SubscriptionsConfig {
	return SubscriptionsConfig{
		RetrySchedule: smartRetries(), FinalAction: "cancel",
		TrialWillEndLead: 72 * time.Hour, IncompleteExpiry: 23 * time.Hour,
		// Stripe sends invoice.upcoming "X number of days before a
		// subscription is scheduled to create an invoice that is
		// automatically charged—where X is determined by your subscriptions
		// settings" (docs.stripe.com/api/events/types#event_types-invoice.upcoming);
		// the setting's default of 7 days is UNCONFIRMED.
		UpcomingInvoiceLead: 7 * 24 * time.Hour,
	}
}

// InvoicingConfig holds the invoicing behaviour Stripe does not pin down
// (account settings, or values no public source confirms);
// fake.WithInvoicing edits it.
type InvoicingConfig struct {
	// FinalizationDelay is how long an auto-advancing draft waits before
	// finalization: after creation with no webhook endpoint, else after
	// invoice.created was delivered. Stripe: 1 hour.
	FinalizationDelay time.Duration
	// WebhookWaitLimit is the longest a draft waits for invoice.created
	// delivery, counted from creation. Stripe: 72 hours.
	WebhookWaitLimit time.Duration
	// ManualInvoicesAutoAdvance is auto_advance's default for POST
	// /v1/invoices. Stripe: false since 2018-11-08.
	ManualInvoicesAutoAdvance bool
	// DefaultDaysUntilDue are the payment terms of a send_invoice invoice
	// given neither due_date nor days_until_due (the account's default
	// terms). UNCONFIRMED; 30.
	DefaultDaysUntilDue int
	// RetrySchedule is the wait before each automatic retry after a failed
	// automatic attempt of an invoice without a subscription (a
	// subscription's invoices follow SubscriptionsConfig.RetrySchedule):
	// after the k-th failed attempt, retry k+1 comes RetrySchedule[k-1]
	// later; none is left after the last. Default Smart Retries "8 tries
	// within 2 weeks": 7 retries, 2 days apart.
	RetrySchedule []time.Duration
	// MarkUncollectibleAfterRetries marks such an invoice uncollectible
	// when the last retry fails (account setting); default false: leave it
	// past due (open).
	MarkUncollectibleAfterRetries bool
	// EmailFinalizedInvoices sends (invoice.sent) a send_invoice invoice
	// that finalizes automatically. Stripe's account default: on.
	EmailFinalizedInvoices bool
}

// DefaultInvoicingConfig returns the defaults described on InvoicingConfig.
func DefaultInvoicingConfig() InvoicingConfig {
	return InvoicingConfig{
		FinalizationDelay:      time.Hour,
		WebhookWaitLimit:       72 * time.Hour,
		DefaultDaysUntilDue:    30,
		RetrySchedule:          smartRetries(),
		EmailFinalizedInvoices: true,
	}
}

// smartRetries is Smart Retries' recommended "8 tries within 2 weeks":
// seven retries, two days apart. Each call returns a new slice, so one
// fake's edits never reach another's.
func smartRetries() []time.Duration {
	retries := make([]time.Duration, 7)
	for i := range retries {
		retries[i] = 48 * time.Hour
	}
	return retries
}

// QuotesConfig holds the quote behaviour Stripe does not pin down;
// fake.WithQuotes edits it.
type QuotesConfig struct {
	// DefaultExpiry is expires_at - created when a quote names no
	// expires_at (the account's quote template). Stripe's API example
	// shows 30 days; UNCONFIRMED as a default.
	DefaultExpiry time.Duration
	// FinalizeInvoiceOnAccept finalizes (and, for charge_automatically,
	// attempts to pay) the invoice of an accepted one-time-only quote at
	// once; false (default) leaves it a draft with auto_advance that
	// finalizes after InvoicingConfig.FinalizationDelay. UNCONFIRMED.
	FinalizeInvoiceOnAccept bool
}

// DefaultQuotesConfig returns the defaults described on QuotesConfig.
func DefaultQuotesConfig() QuotesConfig {
	return QuotesConfig{DefaultExpiry: 30 * 24 * time.Hour}
}

// PortalConfig holds the customer portal's session lifetimes;
// fake.WithPortal edits it.
type PortalConfig struct {
	// SessionTTL is how long a new session's URL works if it is not
	// opened. Default 5 minutes.
	SessionTTL time.Duration
	// OpenedTTL is how long a session stays usable after its first visit.
	// Default 1 hour.
	OpenedTTL time.Duration
}

// DefaultPortalConfig returns the lifetimes commonly reported for Stripe's
// portal sessions (UNCONFIRMED: Stripe's API shows no expires_at).
func DefaultPortalConfig() PortalConfig {
	return PortalConfig{SessionTTL: 5 * time.Minute, OpenedTTL: time.Hour}
}
