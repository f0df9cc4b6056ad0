package resources

import "encoding/json"

// A customer's includable lists (docs.stripe.com/api/customers/object:
// "This field is not included by default. To include it in the response,
// expand the … field"): subscriptions (not canceled) and tax_ids, each the
// first page of 10, newest first, as the list endpoint would answer it.

// includedListLimit is the page an included list shows.
const includedListLimit = 10

func init() {
	includable["customer"] = map[string]func(c *Ctx, node map[string]any) error{
		"subscriptions": func(c *Ctx, node map[string]any) error {
			return includeCustomerList(c, node, "subscriptions", kindSubscription, []string{"status"}, func(m map[string]any) bool {
				return m["status"] != "canceled"
			})
		},
		"tax_ids": func(c *Ctx, node map[string]any) error {
			return includeCustomerList(c, node, "tax_ids", kindTaxID, nil, nil)
		},
	}
}

// includeCustomerList sets node[field] to the customer's objects of kind
// (indexed by customer=<id>) that keep accepts, rendered for the request;
// keep sees only the members reads names.
func includeCustomerList(c *Ctx, node map[string]any, field, kind string, reads []string, keep func(map[string]any) bool) error {
	id, _ := node["id"].(string)
	if id == "" || node["deleted"] == true {
		return nil
	}
	l := &List{Object: "list", Data: []any{}, URL: "/v1/customers/" + id + "/" + field}
	err := c.tx.ScanIndex(kind, "customer="+id, true, func(objID string, raw []byte) (bool, error) {
		if keep != nil {
			obj, err := decodeMembers(raw, reads) // only what keep reads
			if err != nil {
				return false, err
			}
			if !keep(obj) {
				return true, nil
			}
		}
		if len(l.Data) == includedListLimit {
			l.HasMore = true
			return false, nil
		}
		v, err := c.e.kinds[kind].Load(c, objID)
		if err != nil {
			return false, err
		}
		l.Data = append(l.Data, v)
		return true, nil
	})
	if err != nil {
		return err
	}
	raw, err := c.e.renderIn(c, c.Version, l)
	if err != nil {
		return err
	}
	node[field] = json.RawMessage(raw) // as an expanded object is kept
	return nil
}
