// Package resources holds the knobs of Stripe behaviour that the fake's
// options change: the account-level settings Stripe leaves to the Dashboard
// (retry schedules, final actions, payment terms) and the timings no public
// source pins down.
//
// Each *Config type has a Default… function that returns the behaviour the
// fake starts with; fake.WithSubscriptions, fake.WithInvoicing,
// fake.WithQuotes and fake.WithPortal hand those defaults to a function of
// the test's that changes what it needs:
//
//	f := fake.New(t, fake.WithSubscriptions(func(c *resources.SubscriptionsConfig) {
//		c.FinalAction = "unpaid"
//	}))
//
// The Stripe behaviour itself lives behind internal/; this package has
// configuration only.
package resources
