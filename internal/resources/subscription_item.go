package resources

import (
	"errors"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// Subscription items: create, retrieve, update, delete, list. An item lives
// inside its subscription's record; kindSubscriptionItem holds only a
// reference from the item's ID to its subscription, so that /v1/
// subscription_items/{item} finds it.

const kindSubscriptionItem = "subscription_item"

// SubscriptionItem is Stripe's subscription_item (dahlia shape: periods on
// the item).
type SubscriptionItem struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	BillingThresholds  any               `json:"billing_thresholds"`
	Created            int64             `json:"created"`
	CurrentPeriodEnd   int64             `json:"current_period_end"`
	CurrentPeriodStart int64             `json:"current_period_start"`
	Discounts          []any             `json:"discounts"`
	Metadata           map[string]string `json:"metadata"`
	Price              *Price            `json:"price"`
	Quantity           *int64            `json:"quantity,omitempty"` // metered items have none
	Subscription       string            `json:"subscription"`
	TaxRates           []any             `json:"tax_rates"`
}

// itemRef is the stored reference from an item's ID to its subscription.
type itemRef struct {
	Subscription string `json:"subscription"`
}

// metered reports whether the item bills metered usage (in arrears).
func (it *SubscriptionItem) metered() bool { return it.Price.metered() }

func (it *SubscriptionItem) quantity() int64 {
	if it.Quantity == nil {
		return 0
	}
	return *it.Quantity
}

func init() { families = append(families, registerSubscriptionItems) }

func registerSubscriptionItems(e *Engine) {
	e.kind(Kind{Object: kindSubscriptionItem, Load: func(c *Ctx, id string) (any, error) {
		_, it, err := findItem(c, id)
		return it, err
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/subscription_items", Handle: createSubscriptionItem})
	e.route(Route{Method: "GET", Pattern: "/v1/subscription_items/{item}", Read: true, Handle: func(c *Ctx) (any, error) {
		_, it, err := loadItem(c, c.Var("item"), "id")
		return it, err
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/subscription_items/{item}", Handle: updateSubscriptionItem})
	e.route(Route{Method: "DELETE", Pattern: "/v1/subscription_items/{item}", Handle: deleteSubscriptionItem})
	e.route(Route{Method: "GET", Pattern: "/v1/subscription_items", Read: true, Handle: listSubscriptionItems})
}

// findItem returns the item id and its subscription, or store.ErrNotFound.
func findItem(c *Ctx, id string) (*Subscription, *SubscriptionItem, error) {
	var ref itemRef
	if err := c.load(kindSubscriptionItem, id, &ref); err != nil {
		return nil, nil, err
	}
	var s Subscription
	if err := c.load(kindSubscription, ref.Subscription, &s); err != nil {
		return nil, nil, err
	}
	if err := withItemTiers(c, &s); err != nil {
		return nil, nil, err
	}
	it := s.item(id)
	if it == nil {
		return nil, nil, store.ErrNotFound
	}
	return &s, it, nil
}

// loadItem is findItem with Stripe's "No such subscription_item" error.
func loadItem(c *Ctx, id, param string) (*Subscription, *SubscriptionItem, error) {
	s, it, err := findItem(c, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, c.e.noSuch(kindSubscriptionItem, id, param)
	}
	return s, it, err
}

// saveItemRefs stores the references of s's items that have none yet and
// drops those of the items before had and s has no more.
func saveItemRefs(c *Ctx, before, s *Subscription) error {
	for _, it := range before.Items.Data {
		if s.item(it.ID) != nil {
			continue
		}
		if err := c.tx.Delete(kindSubscriptionItem, it.ID); err != nil && err != store.ErrNotFound {
			return err
		}
	}
	return saveNewItemRefs(c, s)
}

// saveNewItemRefs stores the references of items that have none yet.
func saveNewItemRefs(c *Ctx, s *Subscription) error {
	for _, it := range s.Items.Data {
		if _, err := c.tx.Get(kindSubscriptionItem, it.ID); err == nil {
			continue
		}
		if err := c.save(kindSubscriptionItem, it.ID, itemRef{Subscription: s.ID}, "subscription="+s.ID); err != nil {
			return err
		}
	}
	return nil
}

// newSubscriptionItem builds an item of s from item params (price or
// price_data, quantity, metadata). Its period is left for the caller.
func newSubscriptionItem(c *Ctx, s *Subscription, p Params, now time.Time) (*SubscriptionItem, error) {
	if err := unsupported(p, "billing_thresholds"); err != nil {
		return nil, err
	}
	pr, err := itemPrice(c, p)
	if err != nil {
		return nil, err
	}
	id, err := c.NewID("si")
	if err != nil {
		return nil, err
	}
	it := &SubscriptionItem{
		ID: id, Object: kindSubscriptionItem, Created: now.Unix(), Discounts: []any{},
		Price: pr, Subscription: s.ID, TaxRates: []any{},
	}
	if err := setItemQuantity(it, p); err != nil {
		return nil, err
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	it.Metadata = md
	it.CurrentPeriodStart, it.CurrentPeriodEnd = s.periodStart(), s.periodEnd()
	return it, setItemDiscounts(c, s, it, p)
}

// setItemQuantity applies quantity: default 1 for licensed prices; metered
// prices take none.
func setItemQuantity(it *SubscriptionItem, p Params) error {
	q, has := p.Int("quantity")
	if it.Price.Recurring != nil && it.Price.Recurring.UsageType == "metered" {
		if has {
			return apierr.InvalidRequest(p.Path("quantity"), "Quantity should not be specified where usage_type is `metered`. Remove quantity from `"+it.Price.ID+"` and try again.")
		}
		it.Quantity = nil
		return nil
	}
	if !has {
		if it.Quantity != nil {
			return nil
		}
		q = 1
	}
	if q < 0 {
		return apierr.Invalid("parameter_invalid_integer", p.Path("quantity"), "Invalid non-negative integer")
	}
	it.Quantity = &q
	return nil
}

// priceOrPriceData resolves the price or price_data of p (a subscription
// item, an add_invoice_items entry, a quote line): an existing active
// price, or a new inactive one made from price_data, as Stripe does.
func priceOrPriceData(c *Ctx, p Params) (*Price, error) {
	switch {
	case p.Has("price") && p.Has("price_data"):
		return nil, apierr.InvalidRequest(p.Path("price"), "You may only specify one of these parameters: price, price_data.")
	case p.Has("price"):
		pr, err := loadPrice(c, p.Str("price"), p.Path("price"))
		if err == nil && !pr.Active {
			err = apierr.InvalidRequest(p.Path("price"), "The price specified is inactive. This field only accepts active prices.")
		}
		return pr, err
	case p.Has("price_data"):
		pd, _ := p.Map("price_data")
		product, err := pd.Require("product")
		if err != nil {
			return nil, err
		}
		if _, err := loadProduct(c, product, pd.Path("product")); err != nil {
			return nil, err
		}
		pr, err := newPrice(c, pd, product)
		if err != nil {
			return nil, err
		}
		pr.Active = false
		return pr, savePrice(c, pr)
	}
	return nil, apierr.MissingParam(p.Path("price"))
}

// itemPrice resolves an item's price or price_data to a live recurring
// price. price_data makes a new inactive price, as Stripe does.
func itemPrice(c *Ctx, p Params) (*Price, error) {
	pr, err := priceOrPriceData(c, p)
	if err != nil {
		return nil, err
	}
	if pr.Recurring == nil {
		return nil, apierr.InvalidRequest(p.Path("price"), "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.")
	}
	pr.include = nil
	return pr, nil
}

// ---- Handlers ----

func createSubscriptionItem(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "payment_behavior"); err != nil {
		return nil, err
	}
	subID, err := p.Require("subscription")
	if err != nil {
		return nil, err
	}
	s, err := loadSubscription(c, subID, "subscription")
	if err != nil {
		return nil, err
	}
	if err := checkUpdatable(s); err != nil {
		return nil, err
	}
	if len(s.Items.Data) >= subMaxItems {
		return nil, apierr.InvalidRequest("subscription", "You can only have up to 20 items on a subscription.")
	}
	return changeItems(c, s, p, func(now time.Time) (*SubscriptionItem, error) {
		it, err := newSubscriptionItem(c, s, p, now)
		if err != nil {
			return nil, err
		}
		s.Items.Data = append(s.Items.Data, it)
		return it, checkItemsCompatible(s, []Params{p}, "items")
	})
}

func updateSubscriptionItem(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "payment_behavior", "off_session", "billing_thresholds"); err != nil {
		return nil, err
	}
	s, it, err := loadItem(c, c.Var("item"), "id")
	if err != nil {
		return nil, err
	}
	if err := checkUpdatable(s); err != nil {
		return nil, err
	}
	return changeItems(c, s, p, func(now time.Time) (*SubscriptionItem, error) {
		return it, applyItemChange(c, s, it, p)
	})
}

func deleteSubscriptionItem(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "payment_behavior"); err != nil {
		return nil, err
	}
	s, it, err := loadItem(c, c.Var("item"), "id")
	if err != nil {
		return nil, err
	}
	if err := checkUpdatable(s); err != nil {
		return nil, err
	}
	if len(s.Items.Data) == 1 {
		return nil, apierr.InvalidRequest("", "A subscription must have at least one active plan. To cancel a subscription, please use the cancel API endpoint on /v1/subscriptions.")
	}
	if err := clearUsage(c, s, it, p, true); err != nil {
		return nil, err
	}
	if _, err := changeItems(c, s, p, func(now time.Time) (*SubscriptionItem, error) {
		removeItem(s, it.ID)
		return nil, nil
	}); err != nil {
		return nil, err
	}
	return DeletedObject{ID: it.ID, Object: kindSubscriptionItem, Deleted: true}, nil
}

// removeItem takes the item out of s (in memory: applyUpdate drops its
// reference).
func removeItem(s *Subscription, id string) {
	kept := make([]*SubscriptionItem, 0, len(s.Items.Data))
	for _, x := range s.Items.Data {
		if x.ID != id {
			kept = append(kept, x)
		}
	}
	s.Items.Data = kept
}

// changeItems runs one item change on s through the update machinery
// (prorations, events), answering the changed item.
func changeItems(c *Ctx, s *Subscription, p Params, change func(now time.Time) (*SubscriptionItem, error)) (*SubscriptionItem, error) {
	var changed *SubscriptionItem
	err := updateSubscriptionWith(c, s, p, func(now time.Time) error {
		var err error
		changed, err = change(now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if changed != nil {
		changed = s.item(changed.ID)
	}
	return changed, nil
}

func listSubscriptionItems(c *Ctx) (any, error) {
	subID, err := c.Params.Require("subscription")
	if err != nil {
		return nil, err
	}
	s, err := loadSubscription(c, subID, "subscription")
	if err != nil {
		return nil, err
	}
	items := make([]*SubscriptionItem, len(s.Items.Data))
	// Newest first, as lists are; page keeps ties in the order given.
	for i, it := range s.Items.Data {
		items[len(items)-1-i] = it
	}
	return page(c, "/v1/subscription_items", items, func(it *SubscriptionItem) (string, int64) { return it.ID, it.Created })
}
