package search_test

import (
	"errors"
	"testing"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		``,
		`email:"amy@rocketrides.io"`,
		`email~"amy" AND created>1620310503`,
		`metadata["key"]:"value" OR metadata['k']:'v'`,
		`-metadata["donation-id"]:null`,
		`description:"the story called \"The Sky and the Sea.\""`,
		`amount>=10 amount<="20" amount=15 amount:-1.5`,
		`active:true`,
		`payment_method_details.card.last4:4242`,
		`billing_details.address.postal_code:"12345"`,
		`email:"x" name:"y" OR phone:"z"`,
		`email~"am"`,
		`foo:"bar"`,
		`asdf`,
		`created>1 created>1 created>1 created>1 created>1 created>1 created>1 created>1 created>1 created>1 created>1`,
	} {
		f.Add(seed)
	}
	fields := search.FieldsFor("charges")
	for k, v := range search.FieldsFor("customers") {
		fields[k] = v
	}
	fields["active"] = search.Bool
	fields["description"] = search.Text
	objs := []map[string]any{
		{},
		{"email": "amy@rocketrides.io", "name": nil, "created": 1620310504.0, "active": true, "amount": "x",
			"metadata": map[string]any{"key": "value", "k": 1.0}, "description": []any{"x"},
			"billing_details":        map[string]any{"address": "flat"},
			"payment_method_details": map[string]any{"card": map[string]any{"last4": "4242"}}},
		{"metadata": "not a map", "email": 5.0, "created": "1620310504", "active": "true"},
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := search.Parse(query, "charges", fields)
		if err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status != 400 || ae.Param != "query" {
				t.Fatalf("Parse(%q) error %#v is not a 400 *apierr.Error on query", query, err)
			}
			if q != nil {
				t.Fatalf("Parse(%q) returned a query with an error", query)
			}
			return
		}
		for _, o := range objs {
			q.Match(o)
		}
	})
}
