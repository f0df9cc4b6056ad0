package fake

import (
	"net/http"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// knownVersions are the API versions Stripe has published since 2023-10-16,
// oldest first.
var knownVersions = []string{
	"2023-10-16", "2024-04-10", "2024-06-20", "2024-09-30.acacia", "2024-10-28.acacia",
	"2024-11-20.acacia", "2024-12-18.acacia", "2025-01-27.acacia", "2025-02-24.acacia",
	"2025-03-01.dashboard", "2025-03-31.basil", "2025-04-30.basil", "2025-05-28.basil",
	"2025-06-30.basil", "2025-07-30.basil", "2025-08-27.basil", "2025-09-30.clover",
	"2025-10-29.clover", "2025-11-17.clover", "2025-12-15.clover", "2026-01-28.clover",
	"2026-02-25.clover", "2026-03-25.dahlia", "2026-04-22.dahlia", "2026-05-27.dahlia",
	"2026-06-24.dahlia", "2026-07-29.dahlia", "2026-08-26.dahlia",
}

// servedRelease is the release whose shapes the fake renders. Versions of
// other releases are real but answered with a clear error until their
// rendering exists.
const servedRelease = ".dahlia"

// apiVersion returns the version to serve for the request's Stripe-Version
// header, or Stripe's error for an unknown one.
func apiVersion(header, def string) (string, error) {
	if header == "" {
		return def, nil
	}
	known := false
	for _, v := range knownVersions {
		if v == header {
			known = true
			break
		}
	}
	if !known {
		return "", apierr.InvalidRequest("", "Invalid Stripe API version: "+header)
	}
	if !strings.HasSuffix(header, servedRelease) {
		return "", apierr.New(http.StatusBadRequest, apierr.TypeInvalidRequest, "", "",
			"stripefake renders only the dahlia API release; Stripe-Version "+header+" is not served yet.")
	}
	return header, nil
}
