package resources

import (
	"strings"
	"sync/atomic"

	"github.com/stripefake/stripefake/store"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idLengths is how many characters follow the prefix, as in Stripe's own IDs.
// Prefixes not listed get 24.
var idLengths = map[string]int{
	"cus": 14, "prod": 14, "si": 14, "req": 14, "pm": 24, "price": 24,
	"in": 24, "ii": 24, "il": 24, "sub": 24, "cbtxn": 24, "evt": 24,
}

// IDs makes Stripe-style IDs that are deterministic for a seed and unique
// for ever within one store: the n-th ID is a bijective scramble of n, and n
// comes from a counter kept in the store, so a reopened bbolt fake never
// repeats an ID.
type IDs struct {
	seed atomic.Uint64 // Reset restores the configured seed while requests mint IDs
}

// NewIDs returns an ID source for seed.
func NewIDs(seed uint64) *IDs {
	g := new(IDs)
	g.seed.Store(seed)
	return g
}

// New returns the next ID with prefix, e.g. New(tx, "cus") = "cus_…".
func (g *IDs) New(tx store.Tx, prefix string) (string, error) {
	n, err := tx.NextSequence("ids")
	if err != nil {
		return "", err
	}
	return g.Format(prefix, n), nil
}

// Format renders the n-th ID for prefix without touching a store; request
// IDs use it with an in-memory counter.
func (g *IDs) Format(prefix string, n uint64) string {
	size, ok := idLengths[prefix]
	if !ok {
		size = 24
	}
	var b strings.Builder
	b.Grow(len(prefix) + 1 + size)
	b.WriteString(prefix)
	b.WriteByte('_')
	// The first 11 characters encode mix(n) fully, so IDs never collide;
	// the rest is filler from further rounds of the mix.
	x := mix(n ^ g.seed.Load())
	digits := make([]byte, 0, size)
	for len(digits) < size {
		v := x
		for i := 0; i < 11 && len(digits) < size; i++ {
			digits = append(digits, base62[v%62])
			v /= 62
		}
		x = mix(x + 0x9e3779b97f4a7c15)
	}
	b.Write(digits)
	return b.String()
}

// mix is splitmix64's finalizer: a bijection on uint64.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// randomString returns n base62 characters derived from an ID, for values
// such as secrets and invoice prefixes that must look random but be
// deterministic.
func randomString(alphabet string, seed uint64, n int) string {
	out := make([]byte, n)
	x := mix(seed)
	for i := range out {
		if i%8 == 0 && i > 0 {
			x = mix(x + 0x9e3779b97f4a7c15)
		}
		out[i] = alphabet[x%uint64(len(alphabet))]
		x /= uint64(len(alphabet))
	}
	return string(out)
}

// sequence returns n for an ID Format(prefix, n) made, reading the
// characters that encode mix(n) fully, and false for any other string.
// Event lists order events written at the same second by it.
func (g *IDs) sequence(prefix, id string) (uint64, bool) {
	size, ok := idLengths[prefix]
	if !ok {
		size = 24
	}
	digits, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(digits) != size || size < 11 {
		return 0, false
	}
	var x uint64
	for i := 10; i >= 0; i-- {
		d := strings.IndexByte(base62, digits[i])
		if d < 0 {
			return 0, false
		}
		x = x*62 + uint64(d)
	}
	n := unmix(x) ^ g.seed.Load()
	return n, g.Format(prefix, n) == id
}

// unmix inverts mix.
func unmix(x uint64) uint64 {
	x ^= x>>31 ^ x>>62
	x *= inverse(0x94d049bb133111eb)
	x ^= x>>27 ^ x>>54
	x *= inverse(0xbf58476d1ce4e5b9)
	x ^= x>>30 ^ x>>60
	return x
}

// inverse returns the multiplicative inverse of odd a modulo 2⁶⁴
// (Newton's iteration: each step doubles the correct low bits).
func inverse(a uint64) uint64 {
	x := a // correct to 3 bits for odd a
	for range 5 {
		x *= 2 - a*x
	}
	return x
}
