package resources

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
	"github.com/stripefake/stripefake/store"
)

// Products: create (optionally with a default price), retrieve, update,
// delete, list, search. A product that has prices cannot be deleted, as in
// Stripe; only deleting a legacy plan removes a price.

const kindProduct = "product"

// Stripe's limits on product arrays.
const (
	productMaxImages   = 8
	productMaxFeatures = 15
)

// Product is Stripe's product object (dahlia shape: marketing_features, no
// type).
type Product struct {
	ID                  string                    `json:"id"`
	Object              string                    `json:"object"`
	Active              bool                      `json:"active"`
	Created             int64                     `json:"created"`
	DefaultPrice        *string                   `json:"default_price"`
	Description         *string                   `json:"description"`
	Images              []string                  `json:"images"`
	Livemode            bool                      `json:"livemode"`
	MarketingFeatures   []ProductMarketingFeature `json:"marketing_features"`
	Metadata            map[string]string         `json:"metadata"`
	Name                string                    `json:"name"`
	PackageDimensions   *PackageDimensions        `json:"package_dimensions"`
	Shippable           *bool                     `json:"shippable"`
	StatementDescriptor *string                   `json:"statement_descriptor"`
	TaxCode             *string                   `json:"tax_code"`
	UnitLabel           *string                   `json:"unit_label"`
	Updated             int64                     `json:"updated"`
	URL                 *string                   `json:"url"`

	// Deleted is kept on the record so that prices of a deleted legacy
	// plan still expand their product, as the deleted_product stub.
	Deleted bool `json:"deleted,omitempty"`
}

// ProductMarketingFeature is one entry of product.marketing_features.
type ProductMarketingFeature struct {
	Name string `json:"name"`
}

// PackageDimensions is product.package_dimensions.
type PackageDimensions struct {
	Height float64 `json:"height"`
	Length float64 `json:"length"`
	Weight float64 `json:"weight"`
	Width  float64 `json:"width"`
}

func (pr *Product) wire(string) any {
	if pr.Deleted {
		return DeletedObject{ID: pr.ID, Object: kindProduct, Deleted: true}
	}
	return pr
}

var productSearchFields = search.FieldsFor("products")

func init() { families = append(families, registerProducts) }

func registerProducts(e *Engine) {
	e.kind(Kind{Object: kindProduct, Load: loader[Product](kindProduct)})
	e.route(Route{Method: "POST", Pattern: "/v1/products", Handle: createProduct})
	e.route(Route{Method: "GET", Pattern: "/v1/products/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return loadProduct(c, c.Var("id"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/products/{id}", Handle: updateProduct})
	e.route(Route{Method: "DELETE", Pattern: "/v1/products/{id}", Handle: deleteProduct})
	e.route(Route{Method: "GET", Pattern: "/v1/products", Read: true, Handle: listProducts})
	e.route(Route{Method: "GET", Pattern: "/v1/products/search", Read: true, Handle: searchProducts})
}

// loadProduct loads a product that has not been deleted; param names where
// the ID came from ("id" for the path).
func loadProduct(c *Ctx, id, param string) (*Product, error) {
	pr, err := get[Product](c, kindProduct, id, param)
	if err != nil {
		return nil, err
	}
	if pr.Deleted {
		return nil, c.e.noSuch(kindProduct, id, param)
	}
	return pr, nil
}

func saveProduct(c *Ctx, pr *Product) error {
	return c.save(kindProduct, pr.ID, pr, search.MetadataTerms("metadata", pr.Metadata)...)
}

// newProduct makes a product from create parameters: POST /v1/products,
// price product_data and a plan's product hash share it. The caller saves
// it and emits product.created.
func newProduct(c *Ctx, p Params) (*Product, error) {
	if p.Empty("name") {
		return nil, apierr.InvalidEmpty(p.Path("name"))
	}
	name, err := p.Require("name")
	if err != nil {
		return nil, err
	}
	id, err := customOrNewID(c, p, kindProduct, "prod", "Product already exists.")
	if err != nil {
		return nil, err
	}
	pr := &Product{
		ID: id, Object: kindProduct, Active: true, Created: c.Unix(), Updated: c.Unix(),
		Images: []string{}, MarketingFeatures: []ProductMarketingFeature{}, Metadata: map[string]string{},
		Name: name,
	}
	if err := setProductFields(pr, p); err != nil {
		return nil, err
	}
	return pr, nil
}

// customOrNewID returns the id parameter when sent, checking that no live
// object of kind has it, or else a new ID with prefix. A deleted object's ID
// may be used again, as Stripe lets a deleted plan's ID be reused.
func customOrNewID(c *Ctx, p Params, kind, prefix, exists string) (string, error) {
	if !p.Has("id") {
		return c.NewID(prefix)
	}
	if p.Empty("id") {
		return "", apierr.InvalidEmpty(p.Path("id"))
	}
	id := p.Str("id")
	raw, err := c.tx.Get(kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return id, nil
	}
	if err != nil {
		return "", err
	}
	var head struct {
		Deleted bool `json:"deleted"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", err
	}
	if !head.Deleted {
		return "", apierr.Invalid("resource_already_exists", p.Path("id"), exists)
	}
	return id, nil
}

// setProductFields applies the parameters create and update share. On
// update the nullable ones accept "" to clear them.
func setProductFields(pr *Product, p Params) error {
	if p.Has("name") {
		if p.Empty("name") {
			return apierr.InvalidEmpty(p.Path("name"))
		}
		pr.Name = p.Str("name")
	}
	if b, ok := p.Bool("active"); ok {
		pr.Active = b
	}
	for key, dst := range map[string]**string{
		"description": &pr.Description, "statement_descriptor": &pr.StatementDescriptor,
		"tax_code": &pr.TaxCode, "unit_label": &pr.UnitLabel, "url": &pr.URL,
	} {
		if p.Has(key) {
			*dst = p.NullableString(key)
		}
	}
	if pr.StatementDescriptor != nil {
		if strings.ContainsAny(*pr.StatementDescriptor, "<>\\\"'") {
			return apierr.InvalidRequest(p.Path("statement_descriptor"),
				"The statement descriptor may not include any of the following characters: <, >, \\, \", '.")
		}
	}
	if p.Has("images") {
		images := p.Strings("images")
		if len(images) > productMaxImages {
			return apierr.InvalidRequest(p.Path("images"), "You can pass at most "+strconv.Itoa(productMaxImages)+" images, but you passed "+strconv.Itoa(len(images))+".")
		}
		pr.Images = append([]string{}, images...)
	}
	if p.Has("marketing_features") {
		features := p.List("marketing_features")
		if len(features) > productMaxFeatures {
			return apierr.InvalidRequest(p.Path("marketing_features"), "You can pass at most "+strconv.Itoa(productMaxFeatures)+" marketing features, but you passed "+strconv.Itoa(len(features))+".")
		}
		pr.MarketingFeatures = []ProductMarketingFeature{}
		for _, f := range features {
			name, err := f.Require("name")
			if err != nil {
				return err
			}
			pr.MarketingFeatures = append(pr.MarketingFeatures, ProductMarketingFeature{Name: name})
		}
	}
	if p.Has("package_dimensions") {
		pr.PackageDimensions = nil
		if d, ok := p.Map("package_dimensions"); ok {
			dims := &PackageDimensions{}
			// A fixed order, so that the error names the same field every time.
			for _, f := range []struct {
				key string
				dst *float64
			}{{"height", &dims.Height}, {"length", &dims.Length}, {"weight", &dims.Weight}, {"width", &dims.Width}} {
				key, dst := f.key, f.dst
				v, ok := numberParam(d, key)
				if !ok {
					return apierr.MissingParam(d.Path(key))
				}
				if v <= 0 {
					return apierr.InvalidRequest(d.Path(key), "Package dimensions must be greater than 0.")
				}
				*dst = v
			}
			pr.PackageDimensions = dims
		}
	}
	if b, ok := p.Bool("shippable"); ok {
		pr.Shippable = &b
	}
	md, err := applyMetadata(p, pr.Metadata)
	if err != nil {
		return err
	}
	pr.Metadata = md
	return nil
}

// numberParam reads a number parameter, which may arrive as either number type.
func numberParam(p Params, key string) (float64, bool) {
	switch v := p.Raw()[key].(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func createProduct(c *Ctx) (any, error) {
	p := c.Params
	pr, err := newProduct(c, p)
	if err != nil {
		return nil, err
	}
	var price *Price
	if dpd, ok := p.Map("default_price_data"); ok {
		price, err = newPrice(c, dpd, pr.ID)
		if err != nil {
			return nil, err
		}
		pr.DefaultPrice = &price.ID
	}
	if err := saveProduct(c, pr); err != nil {
		return nil, err
	}
	if err := c.emit("product.created", pr, nil); err != nil {
		return nil, err
	}
	if price != nil {
		if err := savePrice(c, price); err != nil {
			return nil, err
		}
		if err := emitPriceCreated(c, price, false); err != nil {
			return nil, err
		}
	}
	return pr, nil
}

func updateProduct(c *Ctx) (any, error) {
	p := c.Params
	pr, err := loadProduct(c, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	before := *pr
	if err := setProductFields(pr, p); err != nil {
		return nil, err
	}
	if p.Has("default_price") {
		if p.Empty("default_price") {
			return nil, apierr.InvalidEmpty("default_price")
		}
		id := p.Str("default_price")
		price, err := loadPrice(c, id, "default_price")
		if err != nil {
			return nil, err
		}
		if price.Product != pr.ID {
			return nil, apierr.InvalidRequest("default_price", "The price '"+id+"' does not belong to this product ('"+pr.ID+"'). The default price must be a price of the product.")
		}
		if !price.Active {
			return nil, apierr.InvalidRequest("default_price", "The price '"+id+"' is archived (active=false) and cannot be the default price of a product.")
		}
		pr.DefaultPrice = &id
	}
	if productChanged(&before, pr) {
		pr.Updated = c.Unix()
	}
	if err := saveProduct(c, pr); err != nil {
		return nil, err
	}
	_, err = c.emitUpdated("product.updated", &before, pr)
	return pr, err
}

// productChanged reports whether an update changed anything a client sees,
// so that a no-op update leaves updated alone.
func productChanged(before, after *Product) bool {
	return !jsonEqual(before, after)
}

func deleteProduct(c *Ctx) (any, error) {
	pr, err := loadProduct(c, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	prices, err := scan(c, kindPrice, "product="+pr.ID, func(p *Price) bool { return !p.Deleted })
	if err != nil {
		return nil, err
	}
	if len(prices) > 0 {
		return nil, apierr.InvalidRequest("", "This product cannot be deleted because it has one or more user-created prices.")
	}
	if err := c.emit("product.deleted", pr, nil); err != nil {
		return nil, err
	}
	pr.Deleted = true
	if err := saveProduct(c, pr); err != nil {
		return nil, err
	}
	return DeletedObject{ID: pr.ID, Object: kindProduct, Deleted: true}, nil
}

func listProducts(c *Ctx) (any, error) {
	p := c.Params
	active, byActive := p.Bool("active")
	shippable, byShippable := p.Bool("shippable")
	url, byURL := p.String("url")
	ids := p.Strings("ids")
	byIDs := p.Has("ids")
	return listStored(c, "/v1/products", kindProduct, "", func(pr *Product) bool {
		switch {
		case pr.Deleted:
			return false
		case byActive && pr.Active != active:
			return false
		case byShippable && (pr.Shippable == nil || *pr.Shippable != shippable):
			return false
		case byURL && (pr.URL == nil || *pr.URL != url):
			return false
		case byIDs && !slices.Contains(ids, pr.ID):
			return false
		}
		return true
	}, func(pr *Product) (string, int64) { return pr.ID, pr.Created })
}

func searchProducts(c *Ctx) (any, error) {
	return searchObjects(c, kindProduct, "products", "/v1/products/search", productSearchFields,
		func(pr *Product) bool { return !pr.Deleted },
		func(pr *Product) (string, int64) { return pr.ID, pr.Created })
}
