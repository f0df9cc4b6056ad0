package fake

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

const (
	msgNoKey       = "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
	msgPublishable = "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
)

// apiKey extracts the key from Bearer or Basic auth, as Stripe accepts both.
func apiKey(r *http.Request) string { return authorizationKey(r.Header.Get("Authorization")) }

// authorizationKey is the key in one Authorization header value.
func authorizationKey(h string) string {
	switch {
	case strings.HasPrefix(h, "Bearer "):
		return strings.TrimSpace(h[len("Bearer "):])
	case strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len("Basic "):]))
		if err != nil {
			return strings.TrimSpace(h[len("Basic "):]) // the spec allows "Basic <raw key>"
		}
		user, _, _ := strings.Cut(string(raw), ":")
		return user
	}
	return ""
}

// authenticate accepts test-mode secret and restricted keys.
func authenticate(r *http.Request) error {
	key := apiKey(r)
	switch {
	case key == "":
		return apierr.New(http.StatusUnauthorized, apierr.TypeInvalidRequest, "", "", msgNoKey)
	case strings.HasPrefix(key, "pk_"):
		return apierr.New(http.StatusUnauthorized, apierr.TypeInvalidRequest, "secret_key_required", "", msgPublishable)
	case (strings.HasPrefix(key, "sk_test_") || strings.HasPrefix(key, "rk_test_")) && len(key) > len("sk_test_"):
		return nil
	}
	return apierr.New(http.StatusUnauthorized, apierr.TypeInvalidRequest, "", "", "Invalid API Key provided: "+maskKey(key))
}

// maskKey keeps a key's type prefix and last four characters, as Stripe's
// error message does: sk_test_********************Aso0.
func maskKey(key string) string {
	prefix := ""
	for _, p := range []string{"sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_"} {
		if strings.HasPrefix(key, p) {
			prefix = p
			break
		}
	}
	rest := key[len(prefix):]
	if len(rest) <= 4 {
		return prefix + rest
	}
	return prefix + strings.Repeat("*", len(rest)-4) + rest[len(rest)-4:]
}
