package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestQuickstartRuns(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"credited 500 cents: balance now -500 usd",
		"402 card_declined/generic_decline",
		"is active; first invoice",
		"paid, paid 1500 after the 500 credit",
		"paid amount_due 2000 usd (subscription_cycle)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
