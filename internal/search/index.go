package search

import (
	"strings"
	"unicode"
)

// Index terms let a store find the candidates of a query without reading
// every object: an object carries a term for each value of an indexed field
// (Terms, TextTerms), and IndexTerm picks from a query a term that every
// match must carry. Matching stays with Match; a term only narrows.

// maxTermLen bounds an index term. Longer values get no term, and a query
// on one falls back to a scan, so no value can make a term the store
// refuses.
const maxTermLen = 512

// Term returns the index term of an Exact or Metadata value (field is
// `metadata["key"]` spelled as MetadataField does), or "" when value gets
// none. Values compare case-insensitively, so the term is case-folded.
func Term(field, value string) string {
	if len(value) > maxTermLen || strings.IndexByte(value, 0) >= 0 {
		return ""
	}
	return "s:" + field + "=" + fold(value)
}

// TextTerms returns the index terms of a Text value: one per word, since a
// ':' clause matches a run of words.
func TextTerms(field, value string) []string {
	var out []string
	for _, w := range strings.Fields(value) {
		if t := Term(field, w); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// MetadataField is the field name Term takes for the metadata key.
func MetadataField(field, key string) string { return field + "[" + key + "]" }

// MetadataTerms returns the index terms of a metadata map under field.
func MetadataTerms(field string, md map[string]string) []string {
	out := make([]string, 0, len(md))
	for k, v := range md {
		if t := Term(MetadataField(field, k), v); t != "" && strings.IndexByte(k, 0) < 0 {
			out = append(out, t)
		}
	}
	return out
}

// IndexTerm returns a term that every object matching q carries, from a
// clause on a field indexed reports true for: a ':' clause that is not
// negated and not null, on an Exact, Text or Metadata field. It returns
// false when there is none (an OR query, or only other clauses), and the
// caller scans.
func (q *Query) IndexTerm(indexed func(field string) bool) (string, bool) {
	if q == nil || q.or {
		return "", false
	}
	for _, c := range q.clauses {
		if c.neg || c.null || c.op != opExact || !indexed(c.field) {
			continue
		}
		var t string
		switch c.kind {
		case Exact:
			t = Term(c.field, c.str)
		case Metadata:
			t = Term(MetadataField(c.field, c.key), c.str)
		case Text:
			if len(c.words) > 0 {
				t = Term(c.field, c.words[0])
			}
		}
		if t != "" {
			return t, true
		}
	}
	return "", false
}

// fold maps s to one spelling per case-insensitive class, so that two
// strings strings.EqualFold calls equal fold to the same string: each rune
// becomes the smallest rune of its simple folding orbit (for ASCII, the
// upper case).
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < 0x80
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
