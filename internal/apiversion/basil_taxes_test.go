package apiversion

import (
	"encoding/json"
	"testing"
)

// A credit note at 2023-10-16: total_taxes becomes tax_amounts, each line's
// taxes its tax_amounts, with amounts excluding inclusive tax; refunds[0]
// is the one refund.
func TestCreditNoteTaxAmountsBefore(t *testing.T) {
	var tree any
	raw := `{"object":"credit_note","refunds":[{"refund":"re_1","amount_refunded":2300}],
		"total_taxes":[
			{"amount":100,"tax_behavior":"exclusive","tax_rate_details":{"tax_rate":"txr_a"},"taxability_reason":"not_available","taxable_amount":1000,"type":"tax_rate_details"},
			{"amount":200,"tax_behavior":"inclusive","tax_rate_details":{"tax_rate":"txr_b"},"taxability_reason":"not_available","taxable_amount":1000,"type":"tax_rate_details"}],
		"lines":{"object":"list","data":[{"object":"credit_note_line_item","amount":1200,"quantity":2,
			"taxes":[{"amount":200,"tax_behavior":"inclusive","tax_rate_details":{"tax_rate":"txr_b"},"taxability_reason":"not_available","taxable_amount":1000,"type":"tax_rate_details"}]}]}}`
	if err := json.Unmarshal([]byte(raw), &tree); err != nil {
		t.Fatal(err)
	}
	ChainFor(V20231016).Apply(nilEnv{}, tree)
	cn := tree.(map[string]any)
	if cn["refund"] != "re_1" {
		t.Errorf("refund: %v", cn["refund"])
	}
	tas := cn["tax_amounts"].([]any)
	if _, ok := cn["total_taxes"]; ok || len(tas) != 2 {
		t.Fatalf("tax_amounts: %v", cn)
	}
	if a := tas[1].(map[string]any); a["amount"] != int64(200) || a["inclusive"] != true || a["tax_rate"] != "txr_b" || a["taxability_reason"] != nil {
		t.Errorf("inclusive tax amount: %v", a)
	}
	line := cn["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if line["amount_excluding_tax"] != int64(1000) || line["unit_amount_excluding_tax"] != "500" || len(line["tax_amounts"].([]any)) != 1 {
		t.Errorf("line: %v", line)
	}
	if _, ok := line["taxes"]; ok {
		t.Errorf("line keeps taxes: %v", line)
	}
}
