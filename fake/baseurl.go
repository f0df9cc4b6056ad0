package fake

import (
	"fmt"
	"net/url"
	"strings"
)

// WithBaseURL sets the URL the fake's links start with, for users who serve
// Handler themselves (behind their own listener, a proxy or a container
// port): hosted invoice pages, Checkout and portal session url fields and
// every other link the fake renders then point at u. u is an absolute http
// or https URL, without query or fragment; a trailing slash is dropped.
// Default: the URL of the fake's own server, URL(). URL is unchanged: it
// still names the server New and Start run.
func WithBaseURL(u string) Option {
	return func(cfg *config) { cfg.baseURL = strings.TrimRight(u, "/") }
}

func checkBaseURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("fake: WithBaseURL(%q) needs an absolute http or https URL without query or fragment", raw)
	}
	return nil
}
