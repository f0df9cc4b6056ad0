package spec

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/currencies"
	"github.com/stripefake/stripefake/internal/spec/internal/table"
)

// checkString applies the rules every string leaf obeys, whatever the
// endpoint, in the order Stripe reports them: no NUL byte (nothing
// downstream, least of all the store's indexes, can hold one), the spec's
// maxLength, then the node's format (currency, email, URL). It returns nil
// when s passes.
func checkString(n *node, s string, path at) *apierr.Error {
	if strings.IndexByte(s, 0) >= 0 {
		return nulError(path.String(), s)
	}
	if n.max > 0 && len(s) > n.max && utf8.RuneCountInString(s) > n.max {
		// Stripe's wording, e.g. "Invalid string: nnnnnnnnnn...nnnnnnnnnn;
		// must be at most 30 characters" (an invoice custom field name).
		return apierr.InvalidRequest(path.String(), fmt.Sprintf("Invalid string: %s; must be at most %d characters", abbreviate(s), n.max))
	}
	return checkFormat(n.format, s, path)
}

// checkFormat checks s against a table.Format* value.
func checkFormat(format, s string, path at) *apierr.Error {
	switch format {
	case table.FormatCurrency:
		if _, ok := currencies.Lookup(s); !ok {
			return apierr.InvalidRequest(path.String(), currencies.InvalidMessage(s))
		}
	case table.FormatEmail:
		if !validEmail(s) {
			return apierr.Invalid("email_invalid", path.String(), "Invalid email address: "+abbreviate(s))
		}
	case table.FormatURL:
		if !validURL(s) {
			// Checkout's wording for success_url and cancel_url; Stripe
			// documents the code url_invalid.
			return apierr.Invalid("url_invalid", path.String(), "Not a valid URL")
		}
	}
	return nil
}

// nulError answers a string holding a NUL byte. Stripe's own wording is
// not documented (UNCONFIRMED); this follows its "Invalid string: …"
// messages and shows the NUL as \u0000.
func nulError(path, s string) *apierr.Error {
	return apierr.InvalidRequest(path, "Invalid string: "+abbreviate(strings.ReplaceAll(s, "\x00", `\u0000`))+"; must not contain a null byte")
}

// abbreviate shortens a long value for an error message the way Stripe
// does: the first and last ten characters around "...".
func abbreviate(s string) string {
	const keep = 10
	if utf8.RuneCountInString(s) <= 2*keep+3 {
		return s
	}
	r := []rune(s)
	return string(r[:keep]) + "..." + string(r[len(r)-keep:])
}

// validEmail accepts what Stripe's address check plausibly accepts: one
// local part and a dotted domain, no spaces or control characters.
// Stripe publishes no grammar; this refuses the obvious mistakes
// ("notanemail", "a@b", "a b@c.d") and nothing a real address uses.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	local, domain := s[:at], s[at+1:]
	if strings.ContainsRune(local, '@') && !strings.HasPrefix(local, `"`) {
		return false
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.ContainsAny(domain, `()<>,;:\"[]`) {
		return false
	}
	return true
}

// validURL accepts absolute http and https URLs with a host: what Stripe
// redirects customers to or posts webhooks at. javascript:, data:, relative
// and scheme-less URLs are refused.
func validURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "http" || scheme == "https") && u.Host != "" && u.Hostname() != "" && u.Opaque == ""
}

// checkKey checks an undeclared key of an additionalProperties object
// (metadata[k], currency_options[k]): no NUL byte, and the object's key
// format. The error names the key's own path.
func checkKey(n *node, k, path string) *apierr.Error {
	if strings.IndexByte(k, 0) >= 0 {
		return nulError(child(path, k), k)
	}
	return checkFormat(n.keys, k, at{path: path, key: k})
}

// checkFree finds a NUL byte in a value without a schema, keys included.
func checkFree(v any, path string) *apierr.Error {
	switch x := v.(type) {
	case string:
		if strings.IndexByte(x, 0) >= 0 {
			return nulError(path, x)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if strings.IndexByte(k, 0) >= 0 {
				return nulError(child(path, k), k)
			}
			if err := checkFree(x[k], child(path, k)); err != nil {
				return err
			}
		}
	case []any:
		for i, el := range x {
			if err := checkFree(el, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
