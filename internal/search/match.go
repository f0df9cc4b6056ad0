package search

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Match reports whether obj, a rendered object decoded from JSON (numbers
// as float64 or json.Number), satisfies the query. Dotted fields walk
// nested maps; a missing field is null. A nil Query matches everything.
func (q *Query) Match(obj map[string]any) bool {
	if q == nil {
		return true
	}
	for _, c := range q.clauses {
		r := c.match(obj)
		if q.or && r {
			return true
		}
		if !q.or && !r {
			return false
		}
	}
	return !q.or
}

// Members returns the names of the top-level members of an object that q
// reads: Match gives the same answer for an object holding only those.
func (q *Query) Members() []string {
	if q == nil {
		return nil
	}
	var out []string
	for _, c := range q.clauses {
		out = append(out, c.field)
		if len(c.path) > 1 {
			out = append(out, c.path[0])
		}
	}
	return out
}

func (c *clause) match(obj map[string]any) bool {
	r := c.test(c.lookup(obj))
	if c.neg {
		return !r
	}
	return r
}

// lookup finds the clause's field (and metadata key) in obj; nil when
// absent.
func (c *clause) lookup(obj map[string]any) any {
	v, ok := obj[c.field]
	if !ok && len(c.path) > 1 {
		var cur any = obj
		for _, part := range c.path {
			m, isMap := cur.(map[string]any)
			if !isMap {
				return nil
			}
			cur = m[part]
		}
		v = cur
	}
	if !c.hasKey {
		return v
	}
	switch m := v.(type) {
	case map[string]any:
		return m[c.key]
	case map[string]string:
		if s, ok := m[c.key]; ok {
			return s
		}
	}
	return nil
}

func (c *clause) test(v any) bool {
	if c.null {
		return v == nil || v == ""
	}
	switch c.kind {
	case Number:
		f, ok := toFloat(v)
		if !ok {
			return false
		}
		switch c.op {
		case opGT:
			return f > c.num
		case opGE:
			return f >= c.num
		case opLT:
			return f < c.num
		case opLE:
			return f <= c.num
		}
		return f == c.num
	case Bool:
		s, ok := v.(bool)
		if ok {
			return strconv.FormatBool(s) == c.str
		}
		str, ok := v.(string)
		return ok && strings.EqualFold(str, c.str)
	case Text:
		s, ok := toString(v)
		if !ok {
			return false
		}
		if c.op == opSubstr {
			return strings.Contains(strings.ToLower(s), c.str)
		}
		return phrase(strings.Fields(s), c.words)
	}
	s, ok := toString(v)
	return ok && strings.EqualFold(s, c.str)
}

// phrase reports whether want occurs as a run of consecutive words in have,
// comparing case-insensitively. An empty want matches only an empty have.
func phrase(have, want []string) bool {
	if len(want) == 0 {
		return len(have) == 0
	}
outer:
	for i := 0; i+len(want) <= len(have); i++ {
		for j, w := range want {
			if !strings.EqualFold(have[i+j], w) {
				continue outer
			}
		}
		return true
	}
	return false
}

func toString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case map[string]any: // an expanded object: match on its id
		id, ok := v["id"].(string)
		return id, ok
	}
	return "", false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case float32:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint64:
		return float64(v), true
	}
	return 0, false
}
