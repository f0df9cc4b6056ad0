package resources

import (
	"fmt"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/spec"
)

// Stripe's metadata limits.
const (
	metadataMaxKeys     = 50
	metadataMaxKeyLen   = 40
	metadataMaxValueLen = 500
)

// applyMetadata merges the metadata parameter into current: metadata[k]=v
// sets, metadata[k]= removes that key, metadata= removes every key. It checks
// Stripe's limits on the merged result. current may be nil.
func applyMetadata(p Params, current map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(current))
	for k, v := range current {
		out[k] = v
	}
	if !p.Has("metadata") {
		return out, nil
	}
	if p.Empty("metadata") {
		return map[string]string{}, nil
	}
	m, ok := p.Raw()["metadata"].(map[string]any)
	if !ok {
		return nil, apierr.InvalidRequest(p.Path("metadata"), "Invalid hash")
	}
	for k, v := range m {
		if len(k) > metadataMaxKeyLen {
			return nil, apierr.InvalidRequest(p.Path("metadata"), fmt.Sprintf(
				"Metadata keys can have up to %d characters, but you passed in a key that is %d characters. Invalid key: %s", metadataMaxKeyLen, len(k), k))
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case spec.Empty:
		default:
			s = fmt.Sprint(v)
		}
		if s == "" {
			delete(out, k)
			continue
		}
		if len(s) > metadataMaxValueLen {
			return nil, apierr.InvalidRequest(p.Path("metadata")+"["+k+"]", fmt.Sprintf(
				"Metadata values can have up to %d characters, but you passed in a value that is %d characters. Invalid value: %s", metadataMaxValueLen, len(s), s))
		}
		out[k] = s
	}
	if len(out) > metadataMaxKeys {
		return nil, apierr.InvalidRequest(p.Path("metadata"), fmt.Sprintf(
			"Metadata can have up to %d keys, but you've set %d.", metadataMaxKeys, len(out)))
	}
	return out, nil
}

// checkMetadata checks p's metadata against Stripe's limits, for metadata
// kept as sent and applied later (a schedule phase's, a quote's
// subscription_data, add_invoice_items'), so that bad metadata is a 400
// naming the param as sent, not a failure when it is applied.
func checkMetadata(p Params) error {
	_, err := applyMetadata(p, nil)
	return err
}

// mergeMetadata is applyMetadata for metadata kept as sent and merged into
// current later (a schedule phase's into its subscription's, when the
// phase starts): "" is an empty hash there, which changes nothing.
func mergeMetadata(p Params, current map[string]string) (map[string]string, error) {
	if p.Empty("metadata") {
		return current, nil
	}
	return applyMetadata(p, current)
}
