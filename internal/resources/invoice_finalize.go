package resources

import (
	"fmt"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/currencies"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Invoice finalization and automatic advancement.
//
// An auto-advancing draft carries automatically_finalizes_at: created + 1 h
// when no webhook endpoint listens for invoice.created; with one, created
// + 72 h until the webhooks code calls rescheduleFinalization once every
// delivery of invoice.created has settled (then that time + 1 h, never
// past created + 72 h). A job on the customer's timeline (its test clock,
// or the fake's clock) finalizes it then and, for charge_automatically,
// makes the first payment attempt.
//
// Finalization (finalizeInvoice): number PREFIX-NNNN from the customer's
// invoice_prefix and next_invoice_sequence; customer_* fields frozen;
// billing credits applied to metered lines (applyCreditGrants); the
// customer's balance applied (a credit up to the total, a debt in full)
// with starting_balance, ending_balance and an applied_to_invoice balance
// transaction; an amount due below the currency's minimum charge marks the
// invoice paid and moves the amount to the balance (invoice_too_small); an
// amount due of 0 pays the invoice at once; otherwise a payment intent and
// an open invoice_payment are made for amount_due.
//
// Decisions on points the reference does not confirm (see also
// InvoicingConfig):
//   - Events at finalization: invoice.finalized, then customer.updated when
//     the balance moved, payment_intent.created when there is an amount to
//     collect, and invoice.paid + invoice.payment_succeeded when the
//     invoice is paid at finalization.
//   - A charge_automatically invoice finalized through the API with
//     auto_advance=true gets its first payment attempt as a job due at
//     once: it runs before the next request or Advance.
//   - A balance in another currency than the invoice's is not applied.
//   - An explicit automatically_finalizes_at is never moved by webhook
//     delivery.

// Job kinds.
const (
	jobInvoiceFinalize = "invoice.finalize"
	jobInvoiceRetry    = "invoice.payment_attempt"
	jobInvoiceOverdue  = "invoice.overdue"
)

// invoicing is the engine's invoicing configuration.
func (e *Engine) invoicing() InvoicingConfig { return e.cfg.Invoicing }

// minimumChargeFor is the smallest amount Stripe charges in currency, in
// minor units, from the one currency table.
func minimumChargeFor(currency string) int64 { return currencies.MinimumCharge(currency) }

func init() { afterInvoiceCreatedDelivered = rescheduleFinalization }

// invoiceTimeline is the timeline an invoice's jobs run on.
func invoiceTimeline(inv *Invoice) string {
	if inv.TestClock != nil {
		return *inv.TestClock
	}
	return scheduler.DefaultTimeline
}

// invoiceNow is "now" for the invoice, in Unix seconds.
func invoiceNow(c *Ctx, inv *Invoice) (int64, error) {
	t, err := c.timeFor(invoiceTimeline(inv))
	return t.Unix(), err
}

// waitsForWebhooks reports whether automatic finalization waits for the
// delivery of invoice.created: whether an enabled endpoint takes it.
func waitsForWebhooks(c *Ctx) (bool, error) { return listensFor(c, "invoice.created") }

// checkAutoFinalizeAt checks an explicit automatically_finalizes_at: in the
// future, at most 5 years ahead. (Wording UNCONFIRMED.)
func checkAutoFinalizeAt(c *Ctx, cu *Customer, at int64) error {
	now, err := nowUnixFor(c, cu)
	if err != nil {
		return err
	}
	if at <= now {
		return apierr.InvalidRequest("automatically_finalizes_at", "`automatically_finalizes_at` must be in the future.")
	}
	if at > now+5*365*86400 {
		return apierr.InvalidRequest("automatically_finalizes_at", "`automatically_finalizes_at` must be within 5 years from now.")
	}
	return nil
}

// scheduleFinalization sets automatically_finalizes_at on an auto-advancing
// draft (explicit when at is set) and schedules the job. The caller saves.
func scheduleFinalization(c *Ctx, inv *Invoice, at *int64) error {
	cfg := c.e.invoicing()
	var due int64
	inv.ExplicitFinalizeAt = at != nil
	if at != nil {
		due = *at
	} else {
		wait, err := waitsForWebhooks(c)
		if err != nil {
			return err
		}
		delay := cfg.FinalizationDelay
		if wait {
			delay = cfg.WebhookWaitLimit
		}
		due = inv.Created + int64(delay/time.Second)
		// A draft switched to auto_advance after that time waits from now.
		now, err := invoiceNow(c, inv)
		if err != nil {
			return err
		}
		if due <= now {
			due = now + int64(delay/time.Second)
		}
	}
	inv.AutomaticallyFinalizesAt = &due
	if err := scheduler.Cancel(c.Tx(), jobInvoiceFinalize, inv.ID); err != nil {
		return err
	}
	return c.schedule(jobInvoiceFinalize, inv.ID, invoiceTimeline(inv), unixTime(due))
}

// rescheduleFinalization moves a still auto-advancing draft's finalization
// to FinalizationDelay after at, when invoice.created reached every
// endpoint (or its last delivery failed), never past WebhookWaitLimit after
// creation. The webhooks code calls it; at is on the invoice's timeline.
func rescheduleFinalization(c *Ctx, invoiceID string, at time.Time) error {
	inv, err := loadInvoice(c, invoiceID, "invoice")
	if err != nil {
		return nil // deleted meanwhile: nothing waits
	}
	if inv.status() != invoiceDraft || !inv.AutoAdvance || inv.ExplicitFinalizeAt {
		return nil
	}
	cfg := c.e.invoicing()
	due := at.Add(cfg.FinalizationDelay).Unix()
	due = min(due, inv.Created+int64(cfg.WebhookWaitLimit/time.Second))
	inv.AutomaticallyFinalizesAt = &due
	inv.WebhooksDeliveredAt = new(at.Unix())
	if err := scheduler.Cancel(c.Tx(), jobInvoiceFinalize, inv.ID); err != nil {
		return err
	}
	if err := c.schedule(jobInvoiceFinalize, inv.ID, invoiceTimeline(inv), unixTime(due)); err != nil {
		return err
	}
	return saveInvoice(c, inv)
}

// runInvoiceFinalize is the automatic advancement of a draft: finalize,
// then the first payment attempt (charge_automatically) or the email
// (send_invoice).
func runInvoiceFinalize(c *Ctx, j store.Job) error {
	inv, err := loadInvoice(c, j.ObjectID, "invoice")
	if err != nil {
		return nil // deleted
	}
	if inv.status() != invoiceDraft || !inv.AutoAdvance || inv.AutomaticallyFinalizesAt == nil || *inv.AutomaticallyFinalizesAt != j.Due.Unix() {
		return nil // changed since it was scheduled
	}
	if err := finalizeInvoice(c, inv); err != nil {
		return err
	}
	return advanceFinalized(c, inv, true)
}

// advanceFinalized does what follows automatic finalization: the first
// payment attempt of a charge_automatically invoice, or the email of a
// send_invoice one.
func advanceFinalized(c *Ctx, inv *Invoice, automatic bool) error {
	if inv.status() != invoiceOpen || !inv.AutoAdvance {
		return nil
	}
	if inv.CollectionMethod == sendInvoice {
		if automatic && c.e.invoicing().EmailFinalizedInvoices {
			return c.emit("invoice.sent", inv, nil)
		}
		return nil
	}
	_, err := attemptPayment(c, inv, PaymentAttempt{OffSession: true, Automatic: true})
	return err
}

// errRefused is Stripe's 400 for an action the invoice's status does not
// allow (void's wording is Stripe's; the others are UNCONFIRMED).
func errRefused(inv *Invoice, action string) error {
	status := inv.status()
	var msg string
	switch action {
	case "finalize":
		msg = "This invoice is already finalized, you can't re-finalize a non-draft invoice."
	case "void":
		msg = "You can only pass in open invoices. This invoice isn't open."
	case "mark_uncollectible":
		msg = fmt.Sprintf("You can only mark open invoices as uncollectible. This invoice is %s.", status)
	case "pay":
		switch status {
		case invoicePaid:
			msg = "Invoice is already paid"
		default:
			msg = fmt.Sprintf("You cannot pay an invoice with status %s.", status)
		}
	case "send":
		msg = fmt.Sprintf("You can't send an invoice with status %s.", status)
	case "delete":
		msg = fmt.Sprintf("You can only delete draft invoices. This invoice is %s; void it instead.", status)
	default: // add_lines, update_lines, remove_lines
		msg = fmt.Sprintf("You can only call %s on draft invoices. This invoice is %s.", action, status)
	}
	return apierr.InvalidRequest("", msg)
}

// errFinalizedUneditable refuses a draft-only field on a finalized invoice.
func errFinalizedUneditable(param string) error {
	return apierr.InvalidRequest(param, fmt.Sprintf("Finalized invoices can't be updated in this way: `%s` can only be changed on draft invoices.", param))
}

// applyBalance applies a customer balance to an invoice total: a credit
// (negative) up to the total, a debt (positive) in full; a negative total
// becomes credit. It returns the amount due and the balance left.
func applyBalance(total, balance int64) (due, ending int64) {
	if total < 0 {
		return 0, balance + total
	}
	used := balance
	if balance < 0 {
		used = max(balance, -total)
	}
	return total + used, balance - used
}

// finalizeInvoice turns a draft into an open (or, owing nothing, paid)
// invoice. It saves the invoice and the customer and emits the events;
// payment is attemptPayment's business.
func finalizeInvoice(c *Ctx, inv *Invoice) error {
	if inv.status() != invoiceDraft {
		return errRefused(inv, "finalize")
	}
	cu, err := get[Customer](c, kindCustomer, inv.Customer, "customer")
	if err != nil {
		return err
	}
	cuBefore := *cu
	now, err := nowUnixFor(c, cu)
	if err != nil {
		return err
	}
	if err := scheduler.Cancel(c.Tx(), jobInvoiceFinalize, inv.ID); err != nil {
		return err
	}
	inv.AutomaticallyFinalizesAt = nil
	inv.setStatus(invoiceOpen)
	inv.StatusTransitions.FinalizedAt = &now
	if inv.EffectiveAt == nil {
		inv.EffectiveAt = &now
	}
	if inv.subscription() != "" {
		// Usage reported since the draft was made counts.
		if err := refreshUsageLines(c, inv, now); err != nil {
			return err
		}
		inv.recomputeTotals()
	}
	if inv.Number == nil {
		inv.Number = new(fmt.Sprintf("%s-%04d", cu.InvoicePrefix, cu.NextInvoiceSequence))
		cu.NextInvoiceSequence++
	}
	if err := mirrorCustomer(c, inv, cu); err != nil {
		return err
	}
	// Billing credits come off the metered lines first (pre-tax), so the
	// customer's balance and the minimum charge see the reduced total.
	// Nothing below may recompute the totals from the lines' amounts alone.
	if err := applyCreditGrants(c, inv); err != nil {
		return err
	}

	// The customer's balance, in the invoice's currency.
	balance := balanceIn(cu, inv.Currency)
	inv.StartingBalance = balance
	due, ending := applyBalance(inv.Total, balance)
	id := inv.ID
	if delta := ending - balance; delta != 0 {
		if _, err := adjustBalanceIn(c, cu, delta, inv.Currency, "applied_to_invoice", &id, nil, nil); err != nil {
			return err
		}
		inv.AppliedBalance = delta
	}
	if due > 0 && due < minimumChargeFor(inv.Currency) {
		// Too small to charge: paid now, collected with the next invoice.
		if _, err := adjustBalanceIn(c, cu, due, inv.Currency, "invoice_too_small", &id, nil, nil); err != nil {
			return err
		}
		due = 0
	}
	inv.AmountDue, inv.AmountPaid, inv.AmountRemaining = due, 0, due
	inv.EndingBalance = new(cu.Balance)
	if cu.Currency != nil && *cu.Currency != inv.Currency {
		inv.EndingBalance = new(int64(0))
	}
	inv.PageToken = pageToken()
	inv.HostedInvoiceURL = new(c.e.pageURL("invoices/" + inv.ID + "/" + inv.PageToken))
	inv.InvoicePDF = new(c.e.pageURL("invoices/" + inv.ID + "/" + inv.PageToken + "/pdf"))
	if inv.CollectionMethod == sendInvoice {
		inv.Attempted = true
		if inv.DueDate == nil {
			inv.DueDate = dueDate(c, inv.Created, nil, nil)
		}
	}

	var pi *PaymentIntent
	if due > 0 {
		if pi, err = openInvoicePayment(c, inv, now); err != nil {
			return err
		}
		if inv.CollectionMethod == sendInvoice && *inv.DueDate > now {
			if err := c.schedule(jobInvoiceOverdue, inv.ID, invoiceTimeline(inv), unixTime(*inv.DueDate)); err != nil {
				return err
			}
		}
	} else {
		markPaid(inv, now)
	}
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	if cu.Balance != cuBefore.Balance || cu.NextInvoiceSequence != cuBefore.NextInvoiceSequence {
		if err := saveCustomer(c, cu); err != nil {
			return err
		}
	}
	if err := c.emit("invoice.finalized", inv, nil); err != nil {
		return err
	}
	if cu.Balance != cuBefore.Balance {
		if _, err := c.emitUpdated("customer.updated", &cuBefore, cu); err != nil {
			return err
		}
	}
	if pi != nil {
		if err := c.emit("payment_intent.created", pi, nil); err != nil {
			return err
		}
	}
	if inv.status() == invoicePaid {
		for _, typ := range []string{"invoice.paid", "invoice.payment_succeeded"} {
			if err := c.emit(typ, inv, nil); err != nil {
				return err
			}
		}
	}
	return notifyInvoice(c, inv, "invoice.finalized", nil)
}

// openInvoicePayment makes the payment intent and the open invoice_payment
// of a finalized invoice with an amount due.
func openInvoicePayment(c *Ctx, inv *Invoice, now int64) (*PaymentIntent, error) {
	pm := ""
	if inv.CollectionMethod == chargeAutomatically {
		if id, err := invoicePaymentMethodID(c, inv); err != nil {
			return nil, err
		} else if id != "" {
			pm = id
		}
	}
	pi, err := newInvoicePaymentIntent(c, inv.Customer, inv.AmountDue, inv.Currency, pm, now)
	if err != nil {
		return nil, err
	}
	id, err := c.NewID("inpay")
	if err != nil {
		return nil, err
	}
	ip := &InvoicePayment{
		ID: id, Object: kindInvoicePayment, AmountRequested: inv.AmountDue, Created: now, Currency: inv.Currency,
		Invoice: inv.ID, IsDefault: true, Payment: InvoicePaymentPayment{PaymentIntent: pi.ID, Type: "payment_intent"},
		Status: "open",
	}
	if err := saveInvoicePayment(c, ip); err != nil {
		return nil, err
	}
	inv.PaymentIntent, inv.InvoicePayment = pi.ID, ip.ID
	inv.ConfirmationSecret = map[string]any{"client_secret": *pi.ClientSecret, "type": "payment_intent"}
	return pi, nil
}

// markPaid records the paid state: status, paid_at, nothing left to do.
func markPaid(inv *Invoice, now int64) {
	inv.setStatus(invoicePaid)
	inv.StatusTransitions.PaidAt = &now
	inv.AmountRemaining = 0
	inv.AutoAdvance = false
	inv.NextPaymentAttempt = nil
}

func finalizeInvoiceHandler(c *Ctx) (any, error) {
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	if inv.status() != invoiceDraft {
		return nil, errRefused(inv, "finalize")
	}
	if b, ok := c.Params.Bool("auto_advance"); ok {
		inv.AutoAdvance = b
	}
	if err := finalizeInvoice(c, inv); err != nil {
		return nil, err
	}
	if inv.status() == invoiceOpen && inv.AutoAdvance && inv.CollectionMethod == chargeAutomatically {
		// The first attempt follows at once, as its own job.
		now, err := invoiceNow(c, inv)
		if err != nil {
			return nil, err
		}
		inv.NextPaymentAttempt = &now
		if err := c.schedule(jobInvoiceRetry, inv.ID, invoiceTimeline(inv), unixTime(now)); err != nil {
			return nil, err
		}
		if err := saveInvoice(c, inv); err != nil {
			return nil, err
		}
	}
	return respond(c, inv)
}

// runInvoiceOverdue marks the customer delinquent when a send_invoice
// invoice passes its due date unpaid, and tells the observer (a
// subscription becomes past_due).
func runInvoiceOverdue(c *Ctx, j store.Job) error {
	inv, err := loadInvoice(c, j.ObjectID, "invoice")
	if err != nil || inv.status() != invoiceOpen {
		return nil
	}
	if err := setDelinquent(c, inv.Customer, true); err != nil {
		return err
	}
	return notifyInvoice(c, inv, "invoice.overdue", nil)
}

// setDelinquent sets customer.delinquent, with customer.updated when it
// changes.
func setDelinquent(c *Ctx, customer string, v bool) error {
	seen, err := view[Customer](c, kindCustomer, customer, "customer")
	if err != nil || seen.Delinquent == v || seen.Deleted {
		return err // mostly nothing to change: no copy
	}
	cu, err := get[Customer](c, kindCustomer, customer, "customer")
	if err != nil {
		return err
	}
	before := *cu
	cu.Delinquent = v
	if err := saveCustomer(c, cu); err != nil {
		return err
	}
	_, err = c.emitUpdated("customer.updated", &before, cu)
	return err
}

// unixTime turns Unix seconds into a time.
func unixTime(s int64) time.Time { return time.Unix(s, 0).UTC() }
