package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// A list or search page reads only a few fields of each record it walks
// (ID, created, the filters' fields), and answers the page's records with
// their stored bytes where those are already the wire shape (Kind.Wire).
// Decoding every walked record whole was most of a page's cost, so pages
// decode a small "head" struct instead, with decodeFields, which skips the
// values of every other member without decoding them.

// errRecord reports stored bytes that are not one JSON object. Records are
// json.Marshal output, so it means a bug or a damaged store.
var errRecord = errors.New("stored record is not a JSON object")

// eachField calls fn with the key (as written, quotes removed) and the raw
// value of each top-level member of the JSON object raw, in order, until fn
// returns false. It finds where members end by skipping strings and
// nesting, without decoding or validating: raw is a stored record, which
// json.Marshal wrote.
func eachField(raw []byte, fn func(key, value []byte) bool) error {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return errRecord
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil
	}
	for i < len(raw) {
		if raw[i] != '"' {
			return errRecord
		}
		end := skipString(raw, i)
		if end < 0 {
			return errRecord
		}
		key := raw[i+1 : end-1]
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return errRecord
		}
		i = skipSpace(raw, i+1)
		vend := skipValue(raw, i)
		if vend <= i {
			return errRecord
		}
		if !fn(key, raw[i:vend]) {
			return nil
		}
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			break
		}
		switch raw[i] {
		case '}':
			return nil
		case ',':
			i = skipSpace(raw, i+1)
		default:
			return errRecord
		}
	}
	return errRecord
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] (a
// quote), or -1 if it does not end.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped byte cannot end the string
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index just past the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	// A number, true, false or null runs to the next delimiter.
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
	}
	return len(b)
}

// headFields maps a head struct type to its fields by JSON member name.
var headFields sync.Map // reflect.Type → map[string]int

func headFieldsOf(t reflect.Type) map[string]int {
	if m, ok := headFields.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || !f.IsExported() || name == "" || name == "-" {
			panic(fmt.Sprintf("decodeFields: %s.%s needs a json name: head structs are flat", t, f.Name))
		}
		m[name] = i
	}
	headFields.Store(t, m)
	return m
}

// decodeFields decodes into v, a pointer to a flat struct whose fields all
// carry a json name, the members of the stored record raw that it names,
// skipping the others undecoded. It gives what json.Unmarshal gives for
// records json.Marshal wrote (exact-case member names, no duplicates).
func decodeFields[H any](raw []byte, v *H) error {
	rv := reflect.ValueOf(v).Elem()
	fields := headFieldsOf(rv.Type())
	var err error
	walkErr := eachField(raw, func(key, value []byte) bool {
		name := string(key)
		if bytes.IndexByte(key, '\\') >= 0 {
			if err = json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &name); err != nil {
				return false
			}
		}
		i, ok := fields[name]
		if !ok {
			return true
		}
		err = json.Unmarshal(value, rv.Field(i).Addr().Interface())
		return err == nil
	})
	if walkErr != nil {
		return walkErr
	}
	return err
}
