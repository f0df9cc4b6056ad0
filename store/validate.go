package store

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Errors shared by both backends. They are unexported because callers have
// no reason to tell them apart: each one is a bug in the caller.
var (
	errReadOnly     = errors.New("store: write in a View transaction")
	errTxDone       = errors.New("store: transaction used after it ended")
	errEmptyCounter = errors.New("store: empty counter name")
)

// Both backends order jobs by Due.UnixNano, which is only defined between
// these instants (years 1677 to 2262).
var (
	minDue = time.Unix(0, math.MinInt64)
	maxDue = time.Unix(0, math.MaxInt64)
)

// checkRecord rejects names bbolt cannot store: a bucket name and a key
// must not be empty. The memory backend applies the same rule so the two
// cannot drift.
func checkRecord(kind, id string) error {
	if kind == "" {
		return errors.New("store: empty kind")
	}
	if id == "" {
		return fmt.Errorf("store: empty id for kind %q", kind)
	}
	return nil
}

// cleanTerms returns a new slice holding terms without duplicates, in their
// first order. Terms must not contain a NUL byte: a bolt record ends each
// of its terms with one.
func cleanTerms(terms []string) ([]string, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(terms))
	for _, term := range terms {
		if hasNUL(term) {
			return nil, fmt.Errorf("store: index term %q contains a NUL byte", term)
		}
		if !slices.Contains(out, term) {
			out = append(out, term)
		}
	}
	return out, nil
}

// checkJob rejects jobs that neither backend stores: a NUL byte in a name
// (older bolt layouts ended names with one in their keys) or a due time
// that UnixNano cannot hold.
func checkJob(j Job) error {
	for _, s := range []string{j.Kind, j.ObjectID, j.Timeline} {
		if hasNUL(s) {
			return fmt.Errorf("store: job field %q contains a NUL byte", s)
		}
	}
	if !validDue(j.Due) {
		return fmt.Errorf("store: job due time %v is outside the years 1678 to 2262", j.Due)
	}
	return nil
}

func validDue(t time.Time) bool {
	return !t.Before(minDue) && !t.After(maxDue)
}

// dueTime is the Due both backends hand back: the same instant, in UTC,
// without a monotonic reading, so results compare equal across backends.
func dueTime(t time.Time) time.Time {
	return time.Unix(0, t.UnixNano()).UTC()
}

func hasNUL(s string) bool {
	return strings.IndexByte(s, 0) >= 0
}

// clone returns a copy of b that is never nil, so an empty record reads
// back the same way from both backends.
func clone(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}
