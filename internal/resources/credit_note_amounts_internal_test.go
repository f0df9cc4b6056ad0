package resources

import (
	"math"
	"math/rand/v2"
	"testing"
)

// prorate's mulDiv path answers what the exact big.Rat arithmetic of
// prorateBig answers, halves away from zero included.
func TestProrateMatchesExactArithmetic(t *testing.T) {
	check := func(whole, part, of int64) {
		t.Helper()
		if got, want := prorate(whole, part, of), prorateBig(whole, part, of); got != want {
			t.Fatalf("prorate(%d, %d, %d) = %d, want %d", whole, part, of, got, want)
		}
	}
	cases := [][3]int64{
		{0, 0, 1}, {1, 1, 2}, {3, 1, 2}, {5, 1, 2}, {1, 1, 3}, {2, 1, 3}, {100, 1, 3}, {200, 1, 3},
		{1000, 333, 1000}, {999, 1, 2}, {1, 0, 7}, {7, 7, 7}, {7, 6, 7},
		{-1, 1, 2}, {-3, 1, 2}, {5, -1, 2}, {-5, -1, 2}, {100, 3, -7}, {100, 8, 7}, {-100, 8, 7},
		{math.MaxInt64, 1, 2}, {math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64}, {math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64 - 1, 1 << 62, math.MaxInt64}, {1 << 40, 1 << 40, 1 << 41}, {math.MaxInt64, 3, 6},
	}
	for _, c := range cases {
		check(c[0], c[1], c[2])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		// Amounts of every size, from cents to the int64 limit.
		of := rng.Int64N(1<<rng.IntN(63)) + 1
		part := rng.Int64N(of + 1)
		whole := rng.Int64N(1 << rng.IntN(63))
		if rng.IntN(8) == 0 {
			whole, part = -whole, part-rng.Int64N(of+1) // outside the fast path
		}
		check(whole, part, of)
		// Exact halves.
		if of%2 == 0 {
			check(whole|1, of/2, of)
		}
	}
}
