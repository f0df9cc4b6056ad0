package fake

import (
	"github.com/stripefake/stripefake/internal/apiversion"
)

// WithAPIVersion sets the account's default API version: the version of
// requests that send no Stripe-Version header, of webhook endpoints created
// without api_version, and of work the clock does. Default:
// "2026-03-25.dahlia". Every published version from 2023-10-16 through the
// newest endive is served (see the README's version table); a well-formed
// version dated after the newest known one is served as the newest known.
// A malformed or unpublished v fails the test at New (Start panics).
func WithAPIVersion(v string) Option {
	return func(cfg *config) { cfg.apiVersion = v }
}

// servedVersion returns the version to serve for a request's Stripe-Version
// header, or Stripe's error for a malformed or unknown one.
func servedVersion(header string, def apiversion.Version) (apiversion.Version, error) {
	if header == "" {
		return def, nil
	}
	return apiversion.Parse(header)
}
