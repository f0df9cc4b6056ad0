package resources

import (
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/store"
)

// SeedCustomers creates n customers over st directly through the engine (no
// HTTP), 1,000 to a transaction, so that benchmarks at scale set up fast.
// Customer i has email seed<i>@example.com and metadata seq=<i>. It returns
// their IDs in creation order.
func SeedCustomers(st store.Store, now time.Time, n int) ([]string, error) {
	e := NewEngine(st, clockwork.NewTime(clockwork.NewFrozen(now)), DefaultConfig())
	ids := make([]string, 0, n)
	for done := 0; done < n; {
		batch := min(1000, n-done)
		err := e.Do(func(c *Ctx) error {
			for i := done; i < done+batch; i++ {
				c.Params = NewParams(map[string]any{
					"email":    fmt.Sprintf("seed%d@example.com", i),
					"metadata": map[string]any{"seq": fmt.Sprint(i)},
				})
				obj, err := createCustomer(c)
				if err != nil {
					return err
				}
				ids = append(ids, obj.(*Customer).ID)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		done += batch
	}
	return ids, nil
}

// The package's tests check that every value save remembers equals what
// decoding its bytes gives (decoded_cache.go); its benchmarks do not.
func init() {
	verifySavedClones = sync.OnceValue(func() bool {
		f := flag.Lookup("test.bench")
		return f == nil || f.Value.String() == ""
	})
}
