package fake_test

import (
	"path/filepath"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
	"github.com/stripefake/stripefake/store"
)

// A bbolt-backed fake reopened later has its state, and never hands out an
// ID it handed out before.
func TestBoltReopenKeepsStateAndIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stripe.db")
	open := func() *fake.Fake {
		s, err := store.OpenBolt(path, store.BoltNoSync())
		if err != nil {
			t.Fatal(err)
		}
		f, err := fake.Start(fake.WithStore(s))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := open()
	first, err := testfake.Client(f).V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("keep@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The store is closed with the fake: opening the path again works.
	f = open()
	defer f.Close()
	sc := testfake.Client(f)
	got, err := sc.V1Customers.Retrieve(ctx, first.ID, nil)
	if err != nil || got.Email != "keep@example.com" {
		t.Fatalf("after reopen: %v %+v", err, got)
	}
	second, err := sc.V1Customers.Create(ctx, nil)
	if err != nil || second.ID == first.ID {
		t.Fatalf("second id %s (first %s) %v", second.ID, first.ID, err)
	}
	if len(f.Events()) != 2 {
		t.Errorf("events after reopen: %d", len(f.Events()))
	}
}

// Request IDs stay unique across a reopen: a second lifetime on the same
// bbolt file does not hand out the first one's req_ IDs again.
func TestBoltReopenKeepsRequestIDsUnique(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stripe.db")
	seen := map[string]int{}
	for life := range 3 {
		s, err := store.OpenBolt(path, store.BoltNoSync())
		if err != nil {
			t.Fatal(err)
		}
		f, err := fake.Start(fake.WithStore(s))
		if err != nil {
			t.Fatal(err)
		}
		sc := testfake.Client(f)
		for range 3 {
			cu, err := sc.V1Customers.Create(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			id := cu.LastResponse.RequestID
			if prev, dup := seen[id]; dup {
				t.Errorf("lifetime %d repeats request ID %s of lifetime %d", life, id, prev)
			}
			seen[id] = life
		}
		for _, r := range f.Requests() {
			if seen[r.RequestID] != life {
				t.Errorf("lifetime %d recorded request %s, answered as from lifetime %d", life, r.RequestID, seen[r.RequestID])
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 9 {
		t.Errorf("%d distinct request IDs, want 9", len(seen))
	}
}
