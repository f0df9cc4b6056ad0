package store_test

import (
	"bytes"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stripefake/stripefake/store"
)

// BenchmarkCreateRetrieve writes what a customer create writes (two IDs
// from a counter, a record with two index terms and its event, in one
// transaction), then reads the record back in a View: the store's share
// of fake's BenchmarkCustomerCreateRetrieve*.
func BenchmarkCreateRetrieve(b *testing.B) {
	customer := bytes.Repeat([]byte("c"), 520)
	event := bytes.Repeat([]byte("e"), 800)
	for _, backend := range []string{"memory", "bolt"} {
		b.Run(backend, func(b *testing.B) {
			var s store.Store
			if backend == "memory" {
				s = store.NewMemory()
			} else {
				var err error
				if s, err = store.OpenBolt(filepath.Join(b.TempDir(), "bench.db"), store.BoltNoSync()); err != nil {
					b.Fatal(err)
				}
			}
			defer s.Close()
			b.ReportAllocs()
			for b.Loop() {
				var id string
				err := s.Update(func(tx store.Tx) error {
					n, err := tx.NextSequence("ids")
					if err != nil {
						return err
					}
					// IDs arrive in no particular order, as the fake's do.
					id = "cus_" + strconv.FormatUint(n*0x9e3779b97f4a7c15, 36)
					if err := tx.Put("customer", id, customer, "s:email=BENCH@EXAMPLE.COM", "s:metadata[k]=V"); err != nil {
						return err
					}
					if n, err = tx.NextSequence("ids"); err != nil {
						return err
					}
					return tx.Put("event", "evt_"+strconv.FormatUint(n*0x9e3779b97f4a7c15, 36), event)
				})
				if err != nil {
					b.Fatal(err)
				}
				err = s.View(func(tx store.Tx) error {
					_, err := tx.Get("customer", id)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
