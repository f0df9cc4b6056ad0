package search_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
)

var customers = search.Fields{
	"created": search.Number, "email": search.Text, "metadata": search.Metadata,
	"name": search.Text, "phone": search.Text,
}

// obj decodes JSON the way the resources layer renders objects (UseNumber).
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustParse(t *testing.T, q, resource string, f search.Fields) *search.Query {
	t.Helper()
	p, err := search.Parse(q, resource, f)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return p
}

func TestMatch(t *testing.T) {
	amy := `{"id":"cus_1","email":"Amy@RocketRides.io","name":"Amy  Tan Lee","phone":"+19999999999",
		"created":1700000000,"metadata":{"key":"Value","donation-id":"asdf-jkl","it's":"x"},"description":null}`
	bob := `{"id":"cus_2","email":"bob@example.com","name":null,"created":1600000000.5,"metadata":{}}`
	bare := `{"id":"cus_3","created":1800000000}`
	tests := []struct {
		query string
		want  [3]bool // amy, bob, bare
	}{
		// Text ':' is a case-insensitive phrase match.
		{`email:"amy@rocketrides.io"`, [3]bool{true, false, false}},
		{`email:'AMY@ROCKETRIDES.IO'`, [3]bool{true, false, false}},
		{`email:"amy@rocketrides"`, [3]bool{false, false, false}},
		{`name:"amy tan"`, [3]bool{true, false, false}},
		{`name:"Tan Lee"`, [3]bool{true, false, false}},
		{`name:"amy lee"`, [3]bool{false, false, false}},
		{`name:"lee amy"`, [3]bool{false, false, false}},
		{`name:"amy tan lee more"`, [3]bool{false, false, false}},
		// Text '~' is a case-insensitive substring.
		{`email~"rocket"`, [3]bool{true, false, false}},
		{`email~"EXAMPLE.c"`, [3]bool{false, true, false}},
		{`name~"y T"`, [3]bool{false, false, false}}, // two spaces in the name
		{`name~"y  T"`, [3]bool{true, false, false}},
		{`phone:"+19999999999"`, [3]bool{true, false, false}},
		// Numbers.
		{`created>1650000000`, [3]bool{true, false, true}},
		{`created>=1700000000`, [3]bool{true, false, true}},
		{`created<1700000000`, [3]bool{false, true, false}},
		{`created<=1700000000`, [3]bool{true, true, false}},
		{`created=1700000000`, [3]bool{true, false, false}},
		{`created:1700000000`, [3]bool{true, false, false}},
		{`created:"1700000000"`, [3]bool{true, false, false}},
		{`created>="1600000000.5"`, [3]bool{true, true, true}},
		{`created>-1`, [3]bool{true, true, true}},
		// Metadata.
		{`metadata["key"]:"value"`, [3]bool{true, false, false}},
		{`metadata['key']:'VALUE'`, [3]bool{true, false, false}},
		{`metadata["key"]:"valu"`, [3]bool{false, false, false}},
		{`metadata["donation-id"]:"asdf-jkl"`, [3]bool{true, false, false}},
		{`metadata['it\'s']:"x"`, [3]bool{true, false, false}},
		{`metadata["key"]:null`, [3]bool{false, true, true}},
		{`-metadata["key"]:null`, [3]bool{true, false, false}},
		// null and negation.
		{`name:null`, [3]bool{false, true, true}},
		{`name:NULL`, [3]bool{false, true, true}},
		{`-name:null`, [3]bool{true, false, false}},
		{`email:"null"`, [3]bool{false, false, false}},
		{`-email:"amy@rocketrides.io"`, [3]bool{false, true, true}},
		{`created:null`, [3]bool{false, false, false}},
		// Combinations.
		{`email~"rocket" created>1`, [3]bool{true, false, false}},
		{`email~"rocket" AND created>1`, [3]bool{true, false, false}},
		{`email~"rocket" and created>1 And name:null`, [3]bool{false, false, false}},
		{`email~"rocket" OR email~"example"`, [3]bool{true, true, false}},
		{`email~"rocket" or email~"example" Or created>1700000001`, [3]bool{true, true, true}},
		{"  email~\"rocket\"\tOR\n-email:null  ", [3]bool{true, true, false}},
	}
	objs := []map[string]any{obj(t, amy), obj(t, bob), obj(t, bare)}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q := mustParse(t, tt.query, "customers", customers)
			for i, o := range objs {
				if got := q.Match(o); got != tt.want[i] {
					t.Errorf("Match(%s) = %v, want %v", o["id"], got, tt.want[i])
				}
			}
		})
	}
}

func TestMatchKinds(t *testing.T) {
	fields := search.Fields{
		"active": search.Bool, "currency": search.Exact, "customer": search.Exact,
		"billing_details.address.postal_code":   search.Exact,
		"payment_method_details.card.last4":     search.Exact,
		"payment_method_details.card.exp_month": search.Exact,
		"amount":                                search.Number, "last_finalization_error_code": search.Exact,
		"description": search.Text, "url": search.Text,
	}
	o := obj(t, `{"active":true,"currency":"usd","customer":{"id":"cus_9","object":"customer"},
		"billing_details":{"address":{"postal_code":"12345"}},
		"payment_method_details":{"card":{"last4":"4242","exp_month":12}},
		"amount":1000,"last_finalization_error_code":"card_declined",
		"description":"the story called \"The Sky and the Sea.\"","url":"https://x.io/dinosaur_swag/1"}`)
	tests := []struct {
		query string
		want  bool
	}{
		{`active:"true"`, true},
		{`active:true`, true},
		{`active:TRUE`, true},
		{`active:"false"`, false},
		{`-active:false`, true},
		{`active:null`, false},
		{`currency:"USD"`, true},
		{`currency:"us"`, false},
		{`customer:"cus_9"`, true},
		{`customer:"CUS_9"`, true},
		{`billing_details.address.postal_code:12345`, true},
		{`billing_details.address.postal_code:"12345"`, true},
		{`billing_details.address.postal_code:"1234"`, false},
		{`payment_method_details.card.last4:4242`, true},
		{`payment_method_details.card.exp_month:12`, true},
		{`payment_method_details.card.exp_month:"12"`, true},
		{`amount>999 amount<1001`, true},
		{`amount:1000.0`, true},
		{`last_finalization_error_code:"card_declined"`, true},
		{`description:"the story called \"The Sky and the Sea.\""`, true},
		{`description:'called "the sky'`, true},
		{`description~"SKY AND"`, true},
		{`url~"/dinosaur_swag"`, true},
		{`url:null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := mustParse(t, tt.query, "charges", fields).Match(o); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchGoValues(t *testing.T) {
	// Plain Go values (not JSON-decoded) also work.
	f := search.Fields{"amount": search.Number, "metadata": search.Metadata, "name": search.Text, "n": search.Exact}
	o := map[string]any{"amount": int64(5), "metadata": map[string]string{"k": "v"}, "name": "", "n": 7}
	for q, want := range map[string]bool{
		`amount:5`:                 true,
		`amount>4.5`:               true,
		`metadata["k"]:"v"`:        true,
		`metadata["x"]:null`:       true,
		`name:null`:                true, // an empty string is null
		`name:""`:                  true,
		`n:7`:                      true,
		`metadata["k"]:"v" n:8`:    false,
		`metadata["k"]:"w" OR n:7`: true,
	} {
		if got := mustParse(t, q, "things", f).Match(o); got != want {
			t.Errorf("%s: Match = %v, want %v", q, got, want)
		}
	}
	var nilQuery *search.Query
	if !nilQuery.Match(o) {
		t.Error("nil Query should match everything")
	}
	if !mustParse(t, `n:1 OR amount:5`, "things", f).Match(o) {
		t.Error("OR with the second clause true")
	}
	if mustParse(t, `n:1 OR amount:6`, "things", f).Match(o) {
		t.Error("OR with no clause true")
	}
}

func TestParseErrors(t *testing.T) {
	syntax := search.MsgParse + search.MsgSyntaxHint
	eleven := strings.TrimSpace(strings.Repeat(`created>1 `, search.MaxClauses+1))
	ten := strings.TrimSpace(strings.Repeat(`created>1 `, search.MaxClauses))
	prices := search.FieldsFor("prices")
	tests := []struct {
		query    string
		resource string
		fields   search.Fields
		want     string
	}{
		{``, "customers", customers, syntax},
		{`   `, "customers", customers, syntax},
		{`asdf`, "customers", customers, syntax},
		{`email`, "customers", customers, syntax},
		{`email:`, "customers", customers, syntax},
		{`email "x"`, "customers", customers, syntax},
		{`email : "x"`, "customers", customers, syntax},
		{`email:"x`, "customers", customers, syntax},
		{`email:"x\`, "customers", customers, syntax},
		{`email:"x"name:"y"`, "customers", customers, syntax},
		{`email:"x" AND`, "customers", customers, syntax},
		{`email:"x" OR `, "customers", customers, syntax},
		{`AND email:"x"`, "customers", customers, syntax},
		{`email:"x" AND AND name:"y"`, "customers", customers, syntax},
		{`--email:"x"`, "customers", customers, syntax},
		{`- email:"x"`, "customers", customers, syntax},
		{`(email:"x")`, "customers", customers, syntax},
		{`metadata:"x"`, "customers", customers, syntax},
		{`metadata[key]:"x"`, "customers", customers, syntax},
		{`metadata["key":"x"`, "customers", customers, syntax},
		{`email["k"]:"x"`, "customers", customers, syntax},
		{`email:amy`, "customers", customers, search.MsgUnquoted},
		{`email:true`, "customers", customers, search.MsgUnquoted},
		{`created>abc`, "customers", customers, search.MsgUnquoted},
		{`created>"abc"`, "customers", customers, fmt.Sprintf(search.MsgNotNumber, "created")},
		{`created>1e5`, "customers", customers, search.MsgUnquoted},
		{`created>"0x10"`, "customers", customers, fmt.Sprintf(search.MsgNotNumber, "created")},
		{`created>NaN`, "customers", customers, search.MsgUnquoted},
		{`active:"yes"`, "prices", prices, fmt.Sprintf(search.MsgNotBool, "active")},
		{`active:1`, "prices", prices, fmt.Sprintf(search.MsgNotBool, "active")},
		{`active:yes`, "prices", prices, search.MsgUnquoted},
		{`foo:"bar"`, "prices", prices,
			"Field `foo` is an unsupported search field for resource `prices`. See http://stripe.com/docs/search#query-fields-for-prices for a list of supported fields."},
		{`Email:"x"`, "customers", customers,
			"Field `Email` is an unsupported search field for resource `customers`. See http://stripe.com/docs/search#query-fields-for-customers for a list of supported fields."},
		{`amount:1`, "payment_intents", search.Fields{},
			"Field `amount` is an unsupported search field for resource `payment_intents`. See http://stripe.com/docs/search#query-fields-for-payment-intents for a list of supported fields."},
		{`email:"x" name:"y" OR phone:"z"`, "customers", customers, search.MsgMixedAndOr},
		{`email:"x" AND name:"y" or phone:"z"`, "customers", customers, search.MsgMixedAndOr},
		{`email:"x" OR name:"y" phone:"z"`, "customers", customers, search.MsgMixedAndOr},
		{eleven, "customers", customers, search.MsgTooManyClauses},
		{ten + ` created>`, "customers", customers, search.MsgTooManyClauses},
		{`currency~"usd"`, "prices", prices, fmt.Sprintf(search.MsgUnsupportedOperator, "~", "currency")},
		{`currency>"usd"`, "prices", prices, fmt.Sprintf(search.MsgUnsupportedOperator, ">", "currency")},
		{`created~"170"`, "customers", customers, fmt.Sprintf(search.MsgUnsupportedOperator, "~", "created")},
		{`email>"a"`, "customers", customers, fmt.Sprintf(search.MsgUnsupportedOperator, ">", "email")},
		{`email=1`, "customers", customers, fmt.Sprintf(search.MsgUnsupportedOperator, "=", "email")},
		{`metadata["k"]~"abc"`, "customers", customers, fmt.Sprintf(search.MsgUnsupportedOperator, "~", "metadata")},
		{`created>null`, "customers", customers, fmt.Sprintf(search.MsgUnsupportedOperator, ">", "created")},
		{`email~"am"`, "customers", customers, fmt.Sprintf(search.MsgSubstringTooShort, "email")},
		{`email~""`, "customers", customers, fmt.Sprintf(search.MsgSubstringTooShort, "email")},
		{`name~"é1"`, "customers", customers, fmt.Sprintf(search.MsgSubstringTooShort, "name")},
		{`email:"x"`, "customers", search.Fields{"email": search.Kind(99)},
			"Field `email` is an unsupported search field for resource `customers`. See http://stripe.com/docs/search#query-fields-for-customers for a list of supported fields."},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := search.Parse(tt.query, tt.resource, tt.fields)
			if err == nil {
				t.Fatalf("Parse = %+v, want error %q", q, tt.want)
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %T is not *apierr.Error", err)
			}
			if ae.Status != http.StatusBadRequest || ae.Type != apierr.TypeInvalidRequest || ae.Param != "query" {
				t.Errorf("error = %d %s param %q, want 400 invalid_request_error param query", ae.Status, ae.Type, ae.Param)
			}
			if ae.Message != tt.want {
				t.Errorf("message = %q\nwant      %q", ae.Message, tt.want)
			}
		})
	}
	if _, err := search.Parse(ten, "customers", customers); err != nil {
		t.Errorf("%d clauses: %v", search.MaxClauses, err)
	}
	if _, err := search.Parse(`email~"amy"`, "customers", customers); err != nil {
		t.Errorf("%d-character substring: %v", search.MinSubstringLen, err)
	}
}

func TestParseMessagesStartWithParseSentence(t *testing.T) {
	for _, msg := range []string{search.MsgMixedAndOr, search.MsgTooManyClauses, search.MsgUnsupportedOperator,
		search.MsgSubstringTooShort, search.MsgUnquoted, search.MsgNotNumber, search.MsgNotBool} {
		if !strings.HasPrefix(msg, search.MsgParse+" ") {
			t.Errorf("%q does not start with %q", msg, search.MsgParse)
		}
	}
}

func TestFieldsFor(t *testing.T) {
	for resource, n := range map[string]int{
		"charges": 24, "customers": 5, "invoices": 11, "payment_intents": 6,
		"prices": 6, "products": 6, "subscriptions": 4,
	} {
		f := search.FieldsFor(resource)
		if len(f) != n {
			t.Errorf("FieldsFor(%q) has %d fields, want %d", resource, len(f), n)
		}
		if f["metadata"] != search.Metadata {
			t.Errorf("FieldsFor(%q) lacks metadata", resource)
		}
	}
	if search.FieldsFor("coupons") != nil {
		t.Error("FieldsFor(coupons) should be nil: coupons are not searchable")
	}
	a := search.FieldsFor("customers")
	a["x"] = search.Text
	if _, ok := search.FieldsFor("customers")["x"]; ok {
		t.Error("FieldsFor must return a fresh map")
	}
	q := mustParse(t, `payment_method_details.card_present.brand:"visa" disputed:false`, "charges", search.FieldsFor("charges"))
	o := obj(t, `{"disputed":false,"payment_method_details":{"card_present":{"brand":"visa"}}}`)
	if !q.Match(o) {
		t.Error("charges query should match")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[search.Kind]string{search.Text: "text", search.Exact: "exact", search.Number: "number",
		search.Bool: "bool", search.Metadata: "metadata", search.Kind(0): "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestIndexTerm(t *testing.T) {
	fields := search.Fields{"email": search.Text, "status": search.Exact, "metadata": search.Metadata, "created": search.Number}
	indexed := func(f string) bool { return f != "created" }
	for _, tt := range []struct {
		query string
		want  string // "" for none
	}{
		{`email:"Amy@X.io"`, search.Term("email", "amy@x.io")},
		{`created>5 AND status:"Active"`, search.Term("status", "active")},
		{`metadata["Key"]:"V"`, search.Term(`metadata[Key]`, "v")},
		{`-email:"a@x.io"`, ""},
		{`email~"amy"`, ""},
		{`email:null`, ""},
		{`email:"a@x.io" OR status:"active"`, ""},
		{`created>5`, ""},
	} {
		q, err := search.Parse(tt.query, "customers", fields)
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		got, ok := q.IndexTerm(indexed)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Indexsearch.Term(%s) = %q, %v; want %q", tt.query, got, ok, tt.want)
		}
	}
	// An object carries the term of each word of a text value, folded the
	// way Match compares.
	if got := search.TextTerms("name", "Jenny  Rosen"); len(got) != 2 || got[1] != search.Term("name", "ROSEN") {
		t.Errorf("TextTerms = %q", got)
	}
	if search.Term("email", "K") != search.Term("email", "\u212a") || search.Term("email", "\x00") != "" {
		t.Error("fold: Kelvin sign and K differ, or a NUL value got a term")
	}
}
