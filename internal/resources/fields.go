package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
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
	r := memberReader{raw: raw}
	for m, more := r.next(); more; m, more = r.next() {
		if !fn(m.key, m.val) {
			return nil
		}
	}
	if !r.ok() {
		return errRecord
	}
	return nil
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
	start := i + 1
	for i = start; ; i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		k := i
		for k > start && b[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i + 1
		}
	}
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

// headFields holds a head struct type's JSON member names, in field order.
var headFields typeCache[[]string]

func headFieldsOf(t reflect.Type) []string {
	if names, ok := headFields.get(t); ok {
		return names
	}
	names := make([]string, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || !f.IsExported() || name == "" || name == "-" {
			panic(fmt.Sprintf("decodeFields: %s.%s needs a json name: head structs are flat", t, f.Name))
		}
		names[i] = name
	}
	return headFields.put(t, names)
}

// memberIndex returns the index in names of the member key (as written,
// escapes and all), or -1.
func memberIndex(names []string, key []byte) (int, error) {
	for i, n := range names {
		if string(key) == n {
			return i, nil
		}
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return -1, nil
	}
	var name string
	err := json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &name)
	return slices.Index(names, name), err
}

// decodeFields decodes into v, a pointer to a flat struct whose fields all
// carry a json name, the members of the stored record raw that it names,
// skipping the others undecoded. It gives what json.Unmarshal gives for
// records json.Marshal wrote (exact-case member names, no duplicates).
func decodeFields[H any](raw []byte, v *H) error {
	rv := reflect.ValueOf(v).Elem()
	names := headFieldsOf(rv.Type())
	var err error
	walkErr := eachField(raw, func(key, value []byte) bool {
		var i int
		if i, err = memberIndex(names, key); i >= 0 && err == nil {
			err = decodeValue(value, rv.Field(i))
		}
		return err == nil
	})
	if walkErr != nil {
		return walkErr
	}
	return err
}

// decodeMembers decodes the members of the stored record raw named in
// names, as decodeTree decodes them (numbers as json.Number), skipping the
// others undecoded.
func decodeMembers(raw []byte, names []string) (map[string]any, error) {
	m := make(map[string]any, len(names))
	var err error
	walkErr := eachField(raw, func(key, value []byte) bool {
		var i int
		if i, err = memberIndex(names, key); i < 0 || err != nil {
			return err == nil
		}
		name := names[i]
		d := json.NewDecoder(bytes.NewReader(value))
		d.UseNumber()
		var v any
		err = d.Decode(&v)
		m[name] = v
		return err == nil
	})
	if walkErr != nil {
		return nil, walkErr
	}
	return m, err
}

// decodeValue decodes the JSON value into f as json.Unmarshal would,
// without its costs for the plain values heads hold: strings with no
// escapes, integers, booleans, null and pointers to those.
func decodeValue(value []byte, f reflect.Value) error {
	if string(value) == "null" {
		switch f.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			f.SetZero()
		}
		return nil // json.Unmarshal leaves other kinds alone on null
	}
	t := f.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := decodeValue(value, p.Elem()); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	switch {
	case t.Kind() == reflect.String && len(value) >= 2 && value[0] == '"' && bytes.IndexByte(value, '\\') < 0:
		f.SetString(string(value[1 : len(value)-1]))
		return nil
	case t.Kind() == reflect.Int64 && value[0] != '"':
		if n, err := strconv.ParseInt(string(value), 10, 64); err == nil {
			f.SetInt(n)
			return nil
		}
	case t.Kind() == reflect.Bool && (string(value) == "true" || string(value) == "false"):
		f.SetBool(value[0] == 't')
		return nil
	}
	return json.Unmarshal(value, f.Addr().Interface())
}
