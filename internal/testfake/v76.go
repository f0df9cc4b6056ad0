package testfake

import (
	stripe76 "github.com/stripe/stripe-go/v76"
	client76 "github.com/stripe/stripe-go/v76/client"
	"github.com/stripefake/stripefake/fake"
)

// ClientV76 returns a stripe-go v76 client for f, with retries and logging
// off. v76 pins Stripe-Version 2023-10-16 on every request.
func ClientV76(f *fake.Fake) *client76.API {
	return client76.New("sk_test_stripefake", stripe76.NewBackendsWithConfig(&stripe76.BackendConfig{
		URL:               stripe76.String(f.URL()),
		MaxNetworkRetries: stripe76.Int64(0),
		LeveledLogger:     &stripe76.LeveledLogger{Level: stripe76.LevelNull},
	}))
}
