package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/stripefake/stripefake/internal/apierr"
)

// DecodeJSON parses a v2 JSON request body into a tree: objects become
// map[string]any, arrays []any, numbers json.Number (so integers keep their
// precision), and strings, bools and null stay string, bool and nil. Explicit
// nulls are kept: in v2 they mean "unset". An empty (or all-whitespace) body
// is an empty tree. Anything but a single JSON object is a 400, as is more
// than MaxLeaves scalars or nesting deeper than MaxDepth.
func DecodeJSON(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, apierr.InvalidRequest("", MsgInvalidJSON+err.Error())
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, apierr.InvalidRequest("", MsgInvalidJSON+"unexpected data after the top-level object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, apierr.InvalidRequest("", MsgInvalidJSON+"the body must be a JSON object")
	}
	leaves := 0
	for _, k := range sortedKeys(m, nil) {
		if err := checkJSON(k, m[k], 1, &leaves); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkJSON enforces MaxDepth and MaxLeaves on a decoded value at depth d
// under top-level key top.
func checkJSON(top string, v any, d int, leaves *int) error {
	if d > MaxDepth {
		return apierr.InvalidRequest(top, MsgTooDeep+top)
	}
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			if err := checkJSON(top, c, d+1, leaves); err != nil {
				return err
			}
		}
	case []any:
		for _, c := range v {
			if err := checkJSON(top, c, d+1, leaves); err != nil {
				return err
			}
		}
	default:
		*leaves++
		if *leaves > MaxLeaves {
			return apierr.InvalidRequest(top, MsgTooManyParams)
		}
	}
	return nil
}
