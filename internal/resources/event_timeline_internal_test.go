package resources

import "testing"

// sequence reads back the counter an ID was made from, for any seed, and
// refuses strings Format did not make.
func TestIDSequence(t *testing.T) {
	for _, seed := range []uint64{0, 7, 1<<64 - 1} {
		g := NewIDs(seed)
		for _, n := range []uint64{1, 2, 61, 62, 1000, 1 << 40, 1<<64 - 1} {
			for _, prefix := range []string{"evt", "cus", "whatever"} {
				if got, ok := g.sequence(prefix, g.Format(prefix, n)); !ok || got != n {
					t.Errorf("seed %d %s %d: got %d %v", seed, prefix, n, got, ok)
				}
			}
		}
		id := g.Format("evt", 5)
		for _, bad := range []string{"", "evt_", "cus" + id[3:], id[:len(id)-1], id[:len(id)-1] + "!", id + "0", "evt_" + id[4:14] + "-" + id[15:]} {
			if _, ok := g.sequence("evt", bad); ok {
				t.Errorf("seed %d: %q read as an ID", seed, bad)
			}
		}
	}
	for _, x := range []uint64{0, 1, 0xdeadbeef, 1<<64 - 1} {
		if unmix(mix(x)) != x {
			t.Errorf("unmix(mix(%#x)) = %#x", x, unmix(mix(x)))
		}
	}
}
