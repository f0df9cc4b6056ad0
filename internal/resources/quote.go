package resources

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Quotes: create (with line items, or from_quote), retrieve, update
// (drafts), finalize, accept, cancel, list, line items, computed upfront
// line items, and the PDF (quote_pdf.go).
//
// Statuses: draft → open (finalize) → accepted (accept); draft or open →
// canceled (cancel, or expires_at passing: a job on the quote's timeline,
// its customer's test clock or its own test_clock).
//
// Accepting an open quote acts at its customer's "now" (a test clock's
// frozen_time): with at least one recurring line it creates a subscription
// (the one-time lines join its first invoice as add_invoice_items, so
// quote.invoice is the subscription's first invoice); with one-time lines
// only it creates an invoice with billing_reason quote_accept and
// parent.quote_details, a draft that finalizes automatically unless
// QuotesConfig.FinalizeInvoiceOnAccept.
//
// Discounts and tax rates: quote_discounts.go. Not modelled (answered with
// a loud 400): automatic tax, application fees, transfer_data, on_behalf_of, customer_account and
// subscription_data.effective_date (subscription schedules).

const (
	kindQuote      = "quote"
	jobQuoteExpire = "quote.expire"
	// quoteMaxLines is how many line items a quote may hold.
	quoteMaxLines = 20
)

// Quote statuses.
const (
	quoteDraft    = "draft"
	quoteOpen     = "open"
	quoteAccepted = "accepted"
	quoteCanceled = "canceled"
)

// quotes is the engine's quote configuration.
func (e *Engine) quotes() QuotesConfig { return e.cfg.Quotes }

// Quote is Stripe's quote object (dahlia shape) and its stored record.
type Quote struct {
	ID                    string                 `json:"id"`
	Object                string                 `json:"object"`
	AmountSubtotal        int64                  `json:"amount_subtotal"`
	AmountTotal           int64                  `json:"amount_total"`
	Application           *string                `json:"application"`
	ApplicationFeeAmount  *int64                 `json:"application_fee_amount"`
	ApplicationFeePercent *float64               `json:"application_fee_percent"`
	AutomaticTax          map[string]any         `json:"automatic_tax"`
	CollectionMethod      string                 `json:"collection_method"`
	Computed              QuoteComputed          `json:"computed"`
	Created               int64                  `json:"created"`
	Currency              *string                `json:"currency"`
	Customer              *string                `json:"customer"`
	CustomerAccount       *string                `json:"customer_account"`
	DefaultTaxRates       []any                  `json:"default_tax_rates"`
	Description           *string                `json:"description"`
	Discounts             []any                  `json:"discounts"`
	ExpiresAt             int64                  `json:"expires_at"`
	Footer                *string                `json:"footer"`
	FromQuote             *QuoteFrom             `json:"from_quote"`
	Header                *string                `json:"header"`
	Invoice               *string                `json:"invoice"`
	InvoiceSettings       QuoteInvoiceSettings   `json:"invoice_settings"`
	LineItems             *List                  `json:"line_items,omitempty"` // only when expanded; never stored
	Livemode              bool                   `json:"livemode"`
	Metadata              map[string]string      `json:"metadata"`
	Number                *string                `json:"number"`
	OnBehalfOf            *string                `json:"on_behalf_of"`
	Status                string                 `json:"status"`
	StatusTransitions     QuoteStatusTransitions `json:"status_transitions"`
	Subscription          *string                `json:"subscription"`
	SubscriptionData      QuoteSubscriptionData  `json:"subscription_data"`
	SubscriptionSchedule  *string                `json:"subscription_schedule"`
	TestClock             *string                `json:"test_clock"`
	TotalDetails          QuoteTotalDetails      `json:"total_details"`
	TransferData          any                    `json:"transfer_data"`

	// Stored, never rendered.

	// Items are the quote's line items.
	Items []*QuoteItem `json:"_items,omitempty"`
	// NumberSeq and Revision make the number QT-PREFIX-SEQ-REVISION: a
	// revision (from_quote[is_revision]) keeps its original's sequence.
	NumberSeq int64 `json:"_number_seq,omitempty"`
	Revision  int64 `json:"_revision,omitempty"`
	// ItemDiscounts and ItemTaxRates are each item's own discount IDs and
	// tax rate IDs (quote_discounts.go).
	ItemDiscounts map[string][]any    `json:"_item_discounts,omitempty"`
	ItemTaxRates  map[string][]string `json:"_item_tax_rates,omitempty"`
}

// QuoteFrom is quote.from_quote.
type QuoteFrom struct {
	IsRevision bool   `json:"is_revision"`
	Quote      string `json:"quote"`
}

// QuoteInvoiceSettings is quote.invoice_settings.
type QuoteInvoiceSettings struct {
	CustomFields []map[string]any `json:"custom_fields"`
	DaysUntilDue *int64           `json:"days_until_due"`
	Description  *string          `json:"description"`
	Footer       *string          `json:"footer"`
	Issuer       map[string]any   `json:"issuer"`
}

// QuoteStatusTransitions is quote.status_transitions.
type QuoteStatusTransitions struct {
	AcceptedAt  *int64 `json:"accepted_at"`
	CanceledAt  *int64 `json:"canceled_at"`
	FinalizedAt *int64 `json:"finalized_at"`
}

// QuoteSubscriptionData is quote.subscription_data.
type QuoteSubscriptionData struct {
	BillingMode     map[string]any    `json:"billing_mode"`
	Description     *string           `json:"description"`
	EffectiveDate   *int64            `json:"effective_date"`
	Metadata        map[string]string `json:"metadata"`
	TrialPeriodDays *int64            `json:"trial_period_days"`
}

// QuoteTotalDetails is total_details on a quote and its computed totals.
type QuoteTotalDetails struct {
	AmountDiscount int64  `json:"amount_discount"`
	AmountShipping *int64 `json:"amount_shipping"`
	AmountTax      int64  `json:"amount_tax"`
}

// QuoteComputed is quote.computed.
type QuoteComputed struct {
	Recurring *QuoteRecurring `json:"recurring"`
	Upfront   QuoteUpfront    `json:"upfront"`
}

// QuoteRecurring is computed.recurring: what each period costs.
type QuoteRecurring struct {
	AmountSubtotal int64             `json:"amount_subtotal"`
	AmountTotal    int64             `json:"amount_total"`
	Interval       string            `json:"interval"`
	IntervalCount  int64             `json:"interval_count"`
	TotalDetails   QuoteTotalDetails `json:"total_details"`
}

// QuoteUpfront is computed.upfront: what the first invoice holds.
type QuoteUpfront struct {
	AmountSubtotal int64             `json:"amount_subtotal"`
	AmountTotal    int64             `json:"amount_total"`
	LineItems      *List             `json:"line_items,omitempty"` // only when expanded
	TotalDetails   QuoteTotalDetails `json:"total_details"`
}

// QuoteItem is Stripe's item (a quote line item).
type QuoteItem struct {
	ID             string  `json:"id"`
	Object         string  `json:"object"`
	AmountDiscount int64   `json:"amount_discount"`
	AmountSubtotal int64   `json:"amount_subtotal"`
	AmountTax      int64   `json:"amount_tax"`
	AmountTotal    int64   `json:"amount_total"`
	Currency       string  `json:"currency"`
	Description    *string `json:"description"`
	Discounts      []any   `json:"discounts"`
	Price          *Price  `json:"price"`
	Quantity       *int64  `json:"quantity"`
	Taxes          []any   `json:"taxes"`
}

// recurring reports whether the item bills every period.
func (it *QuoteItem) recurring() bool { return it.Price != nil && it.Price.Recurring != nil }

// quantity is the item's quantity; metered items have none.
func (it *QuoteItem) quantity() int64 {
	if it.Quantity == nil {
		return 0
	}
	return *it.Quantity
}

// wire drops the stored-only fields.
func (q *Quote) wire(string) any {
	out := *q
	out.Items = nil
	out.NumberSeq = 0
	out.Revision = 0
	out.ItemDiscounts, out.ItemTaxRates = nil, nil
	return &out
}

// Timeline is the scheduler timeline of the quote: its test clock (its
// customer's), or the fake's own clock.
func (q *Quote) Timeline() string {
	if q.TestClock != nil {
		return *q.TestClock
	}
	return scheduler.DefaultTimeline
}

func quoteTerms(q *Quote) []string {
	terms := []string{"status=" + q.Status}
	if q.Customer != nil {
		terms = append(terms, "customer="+*q.Customer)
	}
	return terms
}

func saveQuote(c *Ctx, q *Quote) error {
	if q.LineItems != nil || q.Computed.Upfront.LineItems != nil {
		// Only a response's copy carries the includable line items
		// (respondQuote), and they are never stored. save keeps the value
		// it is given, so it gets a copy without them.
		cp := *q
		cp.LineItems, cp.Computed.Upfront.LineItems = nil, nil
		q = &cp
	}
	return c.save(kindQuote, q.ID, q, quoteTerms(q)...)
}

func loadQuote(c *Ctx, id, param string) (*Quote, error) {
	return get[Quote](c, kindQuote, id, param)
}

func init() { families = append(families, registerQuotes) }

func registerQuotes(e *Engine) {
	e.kind(Kind{Object: kindQuote, Load: loader[Quote](kindQuote)})
	e.route(Route{Method: "POST", Pattern: "/v1/quotes", Handle: createQuote})
	e.route(Route{Method: "GET", Pattern: "/v1/quotes/{quote}", Read: true, Handle: retrieveQuote})
	e.route(Route{Method: "POST", Pattern: "/v1/quotes/{quote}", Handle: updateQuote})
	e.route(Route{Method: "POST", Pattern: "/v1/quotes/{quote}/finalize", Handle: finalizeQuoteHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/quotes/{quote}/accept", Handle: acceptQuoteHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/quotes/{quote}/cancel", Handle: cancelQuoteHandler})
	e.route(Route{Method: "GET", Pattern: "/v1/quotes", Read: true, Handle: listQuotes})
	e.route(Route{Method: "GET", Pattern: "/v1/quotes/{quote}/line_items", Read: true, Handle: listQuoteLineItems(false)})
	e.route(Route{Method: "GET", Pattern: "/v1/quotes/{quote}/computed_upfront_line_items", Read: true, Handle: listQuoteLineItems(true)})
	e.route(Route{Method: "GET", Pattern: "/v1/quotes/{quote}/pdf", Read: true, ContentType: "application/pdf", Handle: quotePDFHandler})
	e.job(jobQuoteExpire, runQuoteExpire)
}

// quoteUnsupported are the parameters the fake accepts from the spec but
// does not model.
var quoteUnsupported = []string{
	"application_fee_amount", "application_fee_percent", "customer_account",
	"on_behalf_of", "transfer_data",
}

// respondQuote renders a quote answer, honouring expand[]=line_items and
// expand[]=computed.upfront.line_items (includable in Stripe).
func respondQuote(c *Ctx, q *Quote) (any, error) {
	inc := takeIncludes(c, "", "line_items", "computed.upfront.line_items")
	out := *q
	if inc["line_items"] {
		out.LineItems = quoteItemList(q.ID, "line_items", q.Items)
	}
	if inc["computed.upfront.line_items"] {
		out.Computed.Upfront.LineItems = quoteItemList(q.ID, "computed_upfront_line_items", upfrontItems(q))
	}
	return &out, nil
}

// quoteItemList is the first page (10) of items as an embedded list.
func quoteItemList(quoteID, path string, items []*QuoteItem) *List {
	data := make([]any, 0, min(len(items), 10))
	for _, it := range items[:min(len(items), 10)] {
		data = append(data, it)
	}
	return &List{Object: "list", Data: data, HasMore: len(items) > 10, URL: "/v1/quotes/" + quoteID + "/" + path}
}

func retrieveQuote(c *Ctx) (any, error) {
	q, err := loadQuote(c, c.Var("quote"), "id")
	if err != nil {
		return nil, err
	}
	return respondQuote(c, q)
}

// ---- Create and update ----

func createQuote(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, quoteUnsupported...); err != nil {
		return nil, err
	}
	if err := checkNoQuoteTax(p); err != nil {
		return nil, err
	}
	if fq, ok := p.Map("from_quote"); ok {
		return cloneQuote(c, fq)
	}
	id, err := c.NewID("qt")
	if err != nil {
		return nil, err
	}
	q := &Quote{
		ID: id, Object: kindQuote, AutomaticTax: map[string]any{"enabled": false, "liability": nil, "provider": nil, "status": nil},
		CollectionMethod: chargeAutomatically, DefaultTaxRates: []any{}, Discounts: []any{}, Metadata: map[string]string{},
		InvoiceSettings: QuoteInvoiceSettings{Issuer: map[string]any{"type": "self"}},
		Status:          quoteDraft, Items: []*QuoteItem{},
		SubscriptionData: QuoteSubscriptionData{BillingMode: map[string]any{"type": "flexible", "flexible": map[string]any{"proration_discounts": "itemized"}}},
	}
	if cid, ok := p.String("customer"); ok {
		cu, err := liveCustomer(c, cid, "customer")
		if err != nil {
			return nil, err
		}
		if err := c.onCustomerTimeline(cu); err != nil {
			return nil, err
		}
		q.Customer, q.TestClock = &cid, cu.TestClock
	}
	if tc, ok := p.String("test_clock"); ok {
		if err := setQuoteTestClock(c, q, tc); err != nil {
			return nil, err
		}
	}
	now, err := c.timeFor(q.Timeline())
	if err != nil {
		return nil, err
	}
	q.Created = now.Unix()
	q.ExpiresAt = now.Add(c.e.quotes().DefaultExpiry).Unix()
	if err := setQuoteFields(c, q, p, now); err != nil {
		return nil, err
	}
	if err := setQuoteItems(c, q, p); err != nil {
		return nil, err
	}
	if err := setQuoteDiscounts(c, q, p); err != nil {
		return nil, err
	}
	if err := computeQuote(c, q); err != nil {
		return nil, err
	}
	if err := scheduleQuoteExpiry(c, q); err != nil {
		return nil, err
	}
	if err := saveQuote(c, q); err != nil {
		return nil, err
	}
	if err := c.emit("quote.created", q, nil); err != nil {
		return nil, err
	}
	return respondQuote(c, q)
}

// setQuoteTestClock attaches the quote to the test clock tc, which must be
// its customer's when it has one.
func setQuoteTestClock(c *Ctx, q *Quote, tc string) error {
	if _, err := loadTestClock(c, tc, "test_clock"); err != nil {
		return err
	}
	if q.TestClock != nil && *q.TestClock != tc || q.Customer != nil && q.TestClock == nil {
		return apierr.InvalidRequest("test_clock", "The test clock of the quote must match the test clock of its customer.")
	}
	q.TestClock = &tc
	return nil
}

func checkNoQuoteTax(p Params) error {
	if at, ok := p.Map("automatic_tax"); ok {
		if on, _ := at.Bool("enabled"); on {
			return unsupported(at, "enabled")
		}
	}
	return nil
}

// setQuoteFields applies the parameters create and update share, except
// line_items and customer.
func setQuoteFields(c *Ctx, q *Quote, p Params, now time.Time) error {
	if m, ok := p.String("collection_method"); ok {
		q.CollectionMethod = m
	}
	for key, dst := range map[string]**string{"description": &q.Description, "footer": &q.Footer, "header": &q.Header} {
		if p.Has(key) {
			*dst = p.NullableString(key)
		}
	}
	if t, ok := p.Int("expires_at"); ok {
		if err := checkQuoteExpiresAt(t, now); err != nil {
			return err
		}
		q.ExpiresAt = t
	}
	if is, ok := p.Map("invoice_settings"); ok {
		if err := unsupported(is, "issuer"); err != nil {
			return err
		}
		if n, ok := is.Int("days_until_due"); ok {
			q.InvoiceSettings.DaysUntilDue = &n
		}
		for key, dst := range map[string]**string{"description": &q.InvoiceSettings.Description, "footer": &q.InvoiceSettings.Footer} {
			if is.Has(key) {
				*dst = is.NullableString(key)
			}
		}
		if is.Has("custom_fields") {
			q.InvoiceSettings.CustomFields = customFields(is)
		}
	}
	if q.CollectionMethod == sendInvoice && q.InvoiceSettings.DaysUntilDue == nil {
		q.InvoiceSettings.DaysUntilDue = new(int64(c.e.invoicing().DefaultDaysUntilDue))
	}
	if q.CollectionMethod == chargeAutomatically && q.InvoiceSettings.DaysUntilDue != nil {
		if p.Has("invoice_settings") {
			return apierr.InvalidRequest("invoice_settings[days_until_due]", "The `days_until_due` parameter can only be set when `collection_method` is `send_invoice`.")
		}
		q.InvoiceSettings.DaysUntilDue = nil
	}
	if sd, ok := p.Map("subscription_data"); ok {
		if err := unsupported(sd, "effective_date"); err != nil {
			return err
		}
		if sd.Has("description") {
			q.SubscriptionData.Description = sd.NullableString("description")
		}
		if sd.Has("trial_period_days") {
			q.SubscriptionData.TrialPeriodDays = nil
			if d, ok := sd.Int("trial_period_days"); ok {
				if d < 1 || d > 730 {
					return apierr.InvalidRequest(sd.Path("trial_period_days"), "Invalid trial_period_days: must be between 1 and 730 days.")
				}
				q.SubscriptionData.TrialPeriodDays = &d
			}
		}
		if sd.Has("metadata") {
			if err := checkMetadata(sd); err != nil {
				return err
			}
			q.SubscriptionData.Metadata = sd.StringMap("metadata")
		}
		if bm, ok := sd.Map("billing_mode"); ok {
			mode := map[string]any{"type": bm.Str("type")}
			if bm.Str("type") == "flexible" {
				pd := "itemized"
				if fl, ok := bm.Map("flexible"); ok && fl.Str("proration_discounts") != "" {
					pd = fl.Str("proration_discounts")
				}
				mode["flexible"] = map[string]any{"proration_discounts": pd}
			}
			q.SubscriptionData.BillingMode = mode
		}
	}
	md, err := applyMetadata(p, q.Metadata)
	if err != nil {
		return err
	}
	q.Metadata = md
	return nil
}

func checkQuoteExpiresAt(t int64, now time.Time) error {
	if t <= now.Unix() {
		return apierr.InvalidRequest("expires_at", "The `expires_at` timestamp must be in the future.")
	}
	if t > now.Unix()+5*365*86400 {
		return apierr.InvalidRequest("expires_at", "The `expires_at` timestamp cannot be more than 5 years in the future.")
	}
	return nil
}

// setQuoteItems applies line_items: on create the list; on update the new
// list, where an entry with an id keeps (and may change) that item and
// items left out are removed.
func setQuoteItems(c *Ctx, q *Quote, p Params) error {
	if !p.Has("line_items") {
		return nil
	}
	list := p.List("line_items")
	if len(list) > quoteMaxLines {
		return apierr.InvalidRequest("line_items", fmt.Sprintf("A quote may contain at most %d line items.", quoteMaxLines))
	}
	items := make([]*QuoteItem, 0, len(list))
	for _, lp := range list {
		var it *QuoteItem
		if id, ok := lp.String("id"); ok {
			i := slices.IndexFunc(q.Items, func(it *QuoteItem) bool { return it.ID == id })
			if i < 0 {
				return apierr.InvalidRequest(lp.Path("id"), fmt.Sprintf("The line item %s does not belong to quote %s.", id, q.ID))
			}
			cp := *q.Items[i]
			it = &cp
		} else {
			id, err := c.NewID("li")
			if err != nil {
				return err
			}
			it = &QuoteItem{ID: id, Object: "item", Discounts: []any{}, Taxes: []any{}}
		}
		if lp.Has("price") || lp.Has("price_data") || it.Price == nil {
			pr, err := priceOrPriceData(c, lp)
			if err != nil {
				return err
			}
			it.Price = pr
			it.Currency = pr.Currency
			it.Quantity = nil
			if !pr.metered() {
				it.Quantity = new(int64(1))
			}
		}
		if n, ok := lp.Int("quantity"); ok {
			if it.Price.metered() {
				return apierr.InvalidRequest(lp.Path("quantity"), "Quantity cannot be set for a line item with a metered price.")
			}
			if n < 0 {
				return apierr.Invalid("parameter_invalid_integer", lp.Path("quantity"), "This value must be greater than or equal to 0.")
			}
			it.Quantity = &n
		}
		items = append(items, it)
	}
	q.Items = items
	return nil
}

// metered reports whether the price bills metered usage.
func (pr *Price) metered() bool {
	return pr != nil && pr.Recurring != nil && pr.Recurring.UsageType == "metered"
}

// computeQuote checks the items against each other and sets the item
// amounts, currency, totals and computed. Prices are read afresh: the
// stored snapshot renders without its tiers.
func computeQuote(c *Ctx, q *Quote) error {
	q.Currency = nil
	var recurring *QuoteRecurring
	for _, it := range q.Items {
		pr, err := get[Price](c, kindPrice, it.Price.ID, "line_items")
		if err != nil {
			return err
		}
		it.Price = pr
		if q.Currency == nil {
			q.Currency = new(it.Currency)
		} else if *q.Currency != it.Currency {
			return apierr.InvalidRequest("line_items", "All line items must have the same currency.")
		}
		it.AmountSubtotal = priceAmount(it.Price, it.quantity())
		it.AmountTotal = it.AmountSubtotal
		if it.Description == nil {
			// Stripe describes an item by its product's name.
			if prod, err := get[Product](c, kindProduct, pr.Product, "line_items"); err == nil {
				it.Description = new(prod.Name)
			}
		}
		if !it.recurring() {
			continue
		}
		r := it.Price.Recurring
		if recurring == nil {
			recurring = &QuoteRecurring{Interval: r.Interval, IntervalCount: r.IntervalCount}
		} else if recurring.Interval != r.Interval || recurring.IntervalCount != r.IntervalCount {
			return apierr.InvalidRequest("line_items", "All recurring line items must have the same billing interval.")
		}
		recurring.AmountSubtotal += it.AmountSubtotal
		recurring.AmountTotal += it.AmountTotal
	}
	var sub int64
	for _, it := range upfrontItems(q) {
		sub += it.AmountSubtotal
	}
	q.Computed = QuoteComputed{Recurring: recurring, Upfront: QuoteUpfront{AmountSubtotal: sub, AmountTotal: sub}}
	q.AmountSubtotal, q.AmountTotal = sub, sub
	return priceQuote(c, q)
}

// upfrontItems are the lines the first invoice will hold: every item, with
// recurring ones at 0 during a trial and metered ones at 0 (usage is
// billed in arrears).
func upfrontItems(q *Quote) []*QuoteItem {
	out := make([]*QuoteItem, 0, len(q.Items))
	for _, it := range q.Items {
		cp := *it
		if it.recurring() && (q.SubscriptionData.TrialPeriodDays != nil || it.Price.metered()) {
			cp.AmountSubtotal, cp.AmountTotal = 0, 0
		}
		out = append(out, &cp)
	}
	return out
}

// scheduleQuoteExpiry (re)schedules the quote's cancellation at expires_at.
func scheduleQuoteExpiry(c *Ctx, q *Quote) error {
	if err := scheduler.Cancel(c.Tx(), jobQuoteExpire, q.ID); err != nil {
		return err
	}
	return c.schedule(jobQuoteExpire, q.ID, q.Timeline(), time.Unix(q.ExpiresAt, 0).UTC())
}

// cloneQuote answers from_quote: a new draft copying the quote, a
// revision when is_revision. Only expires_at may come with it.
func cloneQuote(c *Ctx, fq Params) (any, error) {
	p := c.Params
	for _, k := range p.Keys() {
		if k != "from_quote" && k != "expires_at" && k != "expand" {
			return nil, apierr.InvalidRequest(k, "When `from_quote` is set, you cannot specify any other parameters except for `expires_at`.")
		}
	}
	src, err := loadQuote(c, fq.Str("quote"), fq.Path("quote"))
	if err != nil {
		return nil, err
	}
	revision, _ := fq.Bool("is_revision")
	if revision && src.Status != quoteOpen && src.Status != quoteDraft {
		return nil, apierr.InvalidRequest(fq.Path("is_revision"), fmt.Sprintf("You can only revise a quote that is in `draft` or `open` status, but quote %s is %s.", src.ID, src.Status))
	}
	if src.Customer != nil {
		if _, err := c.customerTimeline(*src.Customer, "customer"); err != nil {
			return nil, err
		}
	}
	now, err := c.timeFor(src.Timeline())
	if err != nil {
		return nil, err
	}
	id, err := c.NewID("qt")
	if err != nil {
		return nil, err
	}
	q := *src
	q.ID, q.Created, q.Status = id, now.Unix(), quoteDraft
	q.ExpiresAt = now.Add(c.e.quotes().DefaultExpiry).Unix()
	q.Number, q.Invoice, q.Subscription, q.SubscriptionSchedule = nil, nil, nil, nil
	q.StatusTransitions = QuoteStatusTransitions{}
	q.FromQuote = &QuoteFrom{IsRevision: revision, Quote: src.ID}
	q.Metadata = maps.Clone(src.Metadata)
	q.NumberSeq, q.Revision = 0, 0
	if revision {
		q.NumberSeq, q.Revision = src.NumberSeq, max(src.Revision, 1)
	}
	q.Items = make([]*QuoteItem, len(src.Items))
	for i, it := range src.Items {
		cp := *it
		if cp.ID, err = c.NewID("li"); err != nil {
			return nil, err
		}
		q.Items[i] = &cp
	}
	if t, ok := p.Int("expires_at"); ok {
		if err := checkQuoteExpiresAt(t, now); err != nil {
			return nil, err
		}
		q.ExpiresAt = t
	}
	if err := scheduleQuoteExpiry(c, &q); err != nil {
		return nil, err
	}
	if err := saveQuote(c, &q); err != nil {
		return nil, err
	}
	if err := c.emit("quote.created", &q, nil); err != nil {
		return nil, err
	}
	return respondQuote(c, &q)
}

// errQuoteStatus is the refusal of an action the quote's status forbids.
func errQuoteStatus(q *Quote, action, want string) error {
	return apierr.InvalidRequest("", fmt.Sprintf("This quote cannot be %s because it has a status of %s. Only %s quotes can be %s.", action, q.Status, want, action))
}

func updateQuote(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, quoteUnsupported...); err != nil {
		return nil, err
	}
	if err := checkNoQuoteTax(p); err != nil {
		return nil, err
	}
	q, err := loadQuote(c, c.Var("quote"), "id")
	if err != nil {
		return nil, err
	}
	if q.Status != quoteDraft {
		return nil, errQuoteStatus(q, "updated", "`draft`")
	}
	if cid, ok := p.String("customer"); ok && (q.Customer == nil || *q.Customer != cid) {
		if q.Customer != nil {
			return nil, apierr.InvalidRequest("customer", "The customer of a quote cannot be changed once it is set.")
		}
		cu, err := liveCustomer(c, cid, "customer")
		if err != nil {
			return nil, err
		}
		if q.TestClock != nil && (cu.TestClock == nil || *cu.TestClock != *q.TestClock) {
			return nil, apierr.InvalidRequest("customer", "The test clock of the quote must match the test clock of its customer.")
		}
		q.Customer, q.TestClock = &cid, cu.TestClock
	}
	now, err := c.timeFor(q.Timeline())
	if err != nil {
		return nil, err
	}
	expires := q.ExpiresAt
	if err := setQuoteFields(c, q, p, now); err != nil {
		return nil, err
	}
	if err := setQuoteItems(c, q, p); err != nil {
		return nil, err
	}
	if err := setQuoteDiscounts(c, q, p); err != nil {
		return nil, err
	}
	if err := computeQuote(c, q); err != nil {
		return nil, err
	}
	if q.ExpiresAt != expires {
		if err := scheduleQuoteExpiry(c, q); err != nil {
			return nil, err
		}
	}
	if err := saveQuote(c, q); err != nil {
		return nil, err
	}
	return respondQuote(c, q) // Stripe has no quote.updated event
}

// ---- Finalize, cancel, expire ----

func finalizeQuoteHandler(c *Ctx) (any, error) {
	q, err := loadQuote(c, c.Var("quote"), "id")
	if err != nil {
		return nil, err
	}
	if q.Status != quoteDraft {
		return nil, errQuoteStatus(q, "finalized", "`draft`")
	}
	if q.Customer == nil {
		return nil, apierr.InvalidRequest("customer", "A quote must have a customer before it can be finalized.")
	}
	if len(q.Items) == 0 {
		return nil, apierr.InvalidRequest("line_items", "A quote must have at least one line item before it can be finalized.")
	}
	cu, err := c.customerTimeline(*q.Customer, "customer")
	if err != nil {
		return nil, err
	}
	now := c.Now()
	if t, ok := c.Params.Int("expires_at"); ok {
		if err := checkQuoteExpiresAt(t, now); err != nil {
			return nil, err
		}
		q.ExpiresAt = t
		if err := scheduleQuoteExpiry(c, q); err != nil {
			return nil, err
		}
	}
	if q.NumberSeq == 0 {
		n, err := c.Tx().NextSequence("quote_number:" + cu.ID)
		if err != nil {
			return nil, err
		}
		q.NumberSeq, q.Revision = int64(n), 1
	} else {
		q.Revision++
	}
	q.Number = new(fmt.Sprintf("QT-%s-%04d-%d", cu.InvoicePrefix, q.NumberSeq, q.Revision))
	q.Status = quoteOpen
	q.StatusTransitions.FinalizedAt = new(now.Unix())
	if err := saveQuote(c, q); err != nil {
		return nil, err
	}
	if err := c.emit("quote.finalized", q, nil); err != nil {
		return nil, err
	}
	// Finalizing a revision replaces the quote it revises.
	if q.FromQuote != nil && q.FromQuote.IsRevision {
		src, err := loadQuote(c, q.FromQuote.Quote, "from_quote")
		if err != nil {
			return nil, err
		}
		if src.Status == quoteDraft || src.Status == quoteOpen {
			if err := cancelQuote(c, src, now); err != nil {
				return nil, err
			}
		}
	}
	return respondQuote(c, q)
}

func cancelQuoteHandler(c *Ctx) (any, error) {
	q, err := loadQuote(c, c.Var("quote"), "id")
	if err != nil {
		return nil, err
	}
	if q.Status != quoteDraft && q.Status != quoteOpen {
		return nil, errQuoteStatus(q, "canceled", "`draft` or `open`")
	}
	now, err := c.timeFor(q.Timeline())
	if err != nil {
		return nil, err
	}
	if err := cancelQuote(c, q, now); err != nil {
		return nil, err
	}
	return respondQuote(c, q)
}

// cancelQuote cancels a draft or open quote and saves it.
func cancelQuote(c *Ctx, q *Quote, now time.Time) error {
	if err := scheduler.Cancel(c.Tx(), jobQuoteExpire, q.ID); err != nil {
		return err
	}
	q.Status = quoteCanceled
	q.StatusTransitions.CanceledAt = new(now.Unix())
	if err := saveQuote(c, q); err != nil {
		return err
	}
	return c.emit("quote.canceled", q, nil)
}

// runQuoteExpire cancels a quote still draft or open at expires_at.
func runQuoteExpire(c *Ctx, j store.Job) error {
	q, err := loadQuote(c, j.ObjectID, "id")
	if err != nil {
		return nil // gone: nothing to do
	}
	if q.Status != quoteDraft && q.Status != quoteOpen {
		return nil
	}
	return cancelQuote(c, q, c.Now())
}

// ---- Accept ----

func acceptQuoteHandler(c *Ctx) (any, error) {
	q, err := loadQuote(c, c.Var("quote"), "id")
	if err != nil {
		return nil, err
	}
	if q.Status != quoteOpen {
		return nil, errQuoteStatus(q, "accepted", "`open`")
	}
	cu, err := liveCustomer(c, *q.Customer, "customer")
	if err != nil {
		return nil, err
	}
	if err := c.onCustomerTimeline(cu); err != nil {
		return nil, err
	}
	now := c.Now()
	if err := scheduler.Cancel(c.Tx(), jobQuoteExpire, q.ID); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(q.Items, (*QuoteItem).recurring) {
		err = acceptIntoSubscription(c, q, cu)
	} else {
		err = acceptIntoInvoice(c, q, cu)
	}
	if err != nil {
		return nil, err
	}
	q.Status = quoteAccepted
	q.StatusTransitions.AcceptedAt = new(now.Unix())
	if err := saveQuote(c, q); err != nil {
		return nil, err
	}
	if err := c.emit("quote.accepted", q, nil); err != nil {
		return nil, err
	}
	return respondQuote(c, q)
}

// acceptIntoSubscription creates the quote's subscription through the
// subscriptions API's own handler, so that it is exactly what POST
// /v1/subscriptions makes: recurring items become its items, one-time
// items join its first invoice.
func acceptIntoSubscription(c *Ctx, q *Quote, cu *Customer) error {
	var items, oneTime []any
	for _, it := range q.Items {
		entry := map[string]any{"price": it.Price.ID}
		if it.Quantity != nil {
			entry["quantity"] = *it.Quantity
		}
		quoteDiscountParams(entry, q.ItemDiscounts[it.ID], q.ItemTaxRates[it.ID], "tax_rates")
		if it.recurring() {
			items = append(items, entry)
		} else {
			oneTime = append(oneTime, entry)
		}
	}
	params := map[string]any{
		"customer": cu.ID, "items": items, "collection_method": q.CollectionMethod,
		"metadata": anyMap(q.SubscriptionData.Metadata),
	}
	if len(oneTime) > 0 {
		params["add_invoice_items"] = oneTime
	}
	quoteDiscountParams(params, q.Discounts, taxRateIDs(q.DefaultTaxRates), "default_tax_rates")
	if q.CollectionMethod == sendInvoice && q.InvoiceSettings.DaysUntilDue != nil {
		params["days_until_due"] = *q.InvoiceSettings.DaysUntilDue
	}
	if q.SubscriptionData.Description != nil {
		params["description"] = *q.SubscriptionData.Description
	}
	if q.SubscriptionData.TrialPeriodDays != nil {
		params["trial_period_days"] = *q.SubscriptionData.TrialPeriodDays
	}
	if bm := q.SubscriptionData.BillingMode; bm != nil {
		params["billing_mode"] = bm
	}
	saved := c.Params
	c.Params = NewParams(params)
	obj, err := createSubscription(c)
	c.Params = saved
	if err != nil {
		return err
	}
	s := obj.(*Subscription)
	q.Subscription = new(s.ID)
	q.Invoice = s.LatestInvoice
	return nil
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// acceptIntoInvoice makes the invoice of a one-time-only quote: its items
// as invoice items on a quote_accept invoice with parent.quote_details.
func acceptIntoInvoice(c *Ctx, q *Quote, cu *Customer) error {
	opts := InvoiceOptions{
		AutoAdvance: true, BillingReason: "quote_accept", CollectionMethod: q.CollectionMethod,
		Currency: *q.Currency, DaysUntilDue: q.InvoiceSettings.DaysUntilDue,
		Description: q.InvoiceSettings.Description, Footer: q.InvoiceSettings.Footer,
		CustomFields: q.InvoiceSettings.CustomFields,
	}
	if opts.Description == nil {
		opts.Description = q.Description
	}
	rates, err := loadTaxRates(c, taxRateIDs(q.DefaultTaxRates), "default_tax_rates")
	if err != nil {
		return err
	}
	opts.Discounts, opts.DefaultTaxRates = q.Discounts, rates
	inv, err := newDraftInvoice(c, cu, opts)
	if err != nil {
		return err
	}
	inv.Parent = &InvoiceParent{Type: "quote_details", QuoteDetails: map[string]any{"quote": q.ID}}
	var created []*InvoiceItem
	for _, it := range q.Items {
		entry := map[string]any{"pricing": map[string]any{"price": it.Price.ID}, "quantity": it.quantity()}
		quoteDiscountParams(entry, q.ItemDiscounts[it.ID], q.ItemTaxRates[it.ID], "tax_rates")
		ip := NewParams(entry)
		ii, err := buildInvoiceItem(c, ip, cu.ID, inv.Currency, cu.TestClock, inv.Created)
		if err != nil {
			return err
		}
		ii.Description = it.Description
		if err := attachItem(c, ii, inv); err != nil {
			return err
		}
		created = append(created, ii)
	}
	if err := scheduleFinalization(c, inv, nil); err != nil {
		return err
	}
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	for _, ii := range created {
		if err := c.emit("invoiceitem.created", ii, nil); err != nil {
			return err
		}
	}
	if err := c.emit("invoice.created", inv, nil); err != nil {
		return err
	}
	q.Invoice = new(inv.ID)
	if !c.e.quotes().FinalizeInvoiceOnAccept {
		return nil
	}
	if err := finalizeInvoice(c, inv); err != nil {
		return err
	}
	if inv.status() == invoiceOpen && inv.CollectionMethod == chargeAutomatically {
		// The first attempt follows at once, as its own job, as for an
		// invoice finalized through the API.
		now := inv.StatusTransitions.FinalizedAt
		inv.NextPaymentAttempt = new(*now)
		if err := c.schedule(jobInvoiceRetry, inv.ID, invoiceTimeline(inv), unixTime(*now)); err != nil {
			return err
		}
		return saveInvoice(c, inv)
	}
	return nil
}

// ---- Lists ----

func listQuotes(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	term := ""
	customer, byCustomer := p.String("customer")
	if byCustomer {
		term = "customer=" + customer
	}
	status, byStatus := p.String("status")
	clock, byClock := p.String("test_clock")
	return listStored(c, "/v1/quotes", kindQuote, term, func(q *Quote) bool {
		if byStatus && q.Status != status || skipTestClock(q.TestClock, byCustomer || byClock) {
			return false
		}
		return !byClock || *q.TestClock == clock
	}, func(q *Quote) (string, int64) { return q.ID, q.Created })
}

// listQuoteLineItems pages a quote's line items, or the computed upfront
// ones.
func listQuoteLineItems(upfront bool) Handler {
	return func(c *Ctx) (any, error) {
		q, err := loadQuote(c, c.Var("quote"), "id")
		if err != nil {
			return nil, err
		}
		items, path := q.Items, "line_items"
		if upfront {
			items, path = upfrontItems(q), "computed_upfront_line_items"
		}
		return page(c, "/v1/quotes/"+q.ID+"/"+path, items, func(it *QuoteItem) (string, int64) { return it.ID, 0 })
	}
}
