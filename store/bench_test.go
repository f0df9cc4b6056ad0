package store_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stripefake/stripefake/store"
)

// openBench opens a store of backend for a benchmark and closes it when
// the benchmark ends.
func openBench(b *testing.B, backend string) store.Store {
	b.Helper()
	var s store.Store
	if backend == "memory" {
		s = store.NewMemory()
	} else {
		var err error
		if s, err = store.OpenBolt(filepath.Join(b.TempDir(), "bench.db"), store.BoltNoSync()); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// reportPages reports the pages the bolt store s wrote per op since
// before, as "pages/op".
func reportPages(b *testing.B, backend string, s store.Store, before int64) {
	b.Helper()
	if backend == "bolt" {
		b.ReportMetric(float64(store.BoltPages(s)-before)/float64(b.N), "pages/op")
	}
}

// scrambled returns an ID that sorts in no particular order, as the
// fake's do.
func scrambled(prefix string, n uint64) string {
	return prefix + "_" + strconv.FormatUint(n*0x9e3779b97f4a7c15, 36)
}

// BenchmarkCreateRetrieve writes what a customer create writes (two IDs
// from a counter, a record with two index terms and its event, in one
// transaction), then reads the record back in a View: the store's share
// of fake's BenchmarkCustomerCreateRetrieve*. On bolt, pages/op is the
// pages each write transaction wrote.
func BenchmarkCreateRetrieve(b *testing.B) {
	customer := bytes.Repeat([]byte("c"), 520)
	event := bytes.Repeat([]byte("e"), 800)
	for _, backend := range []string{"memory", "bolt"} {
		b.Run(backend, func(b *testing.B) {
			s := openBench(b, backend)
			b.ReportAllocs()
			before := pages(s, backend)
			for b.Loop() {
				var id string
				err := s.Update(func(tx store.Tx) error {
					n, err := tx.NextSequence("ids")
					if err != nil {
						return err
					}
					id = scrambled("cus", n)
					if err := tx.Put("customer", id, customer, "s:email=BENCH@EXAMPLE.COM", "s:metadata[k]=V"); err != nil {
						return err
					}
					if n, err = tx.NextSequence("ids"); err != nil {
						return err
					}
					return tx.Put("event", scrambled("evt", n), event)
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
			reportPages(b, backend, s, before)
		})
	}
}

// BenchmarkRenewal writes what a subscription renewal writes in one
// transaction, among 1,000 customers and subscriptions: it replaces an
// old subscription and its customer, creates an invoice and eight events
// of about 3 KB, and moves the subscription's job to the next period. On
// bolt, pages/op is the pages each transaction wrote.
func BenchmarkRenewal(b *testing.B) {
	const n = 1000
	customer := bytes.Repeat([]byte("c"), 520)
	subscription := bytes.Repeat([]byte("s"), 2500)
	invoice := bytes.Repeat([]byte("i"), 3600)
	event := bytes.Repeat([]byte("e"), 3000)
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, backend := range []string{"memory", "bolt"} {
		b.Run(backend, func(b *testing.B) {
			s := openBench(b, backend)
			jobs := make([]store.Job, n)
			err := s.Update(func(tx store.Tx) error {
				for i := range uint64(n) {
					if err := tx.Put("customer", scrambled("cus", i), customer); err != nil {
						return err
					}
					if err := tx.Put("subscription", scrambled("sub", i), subscription, "customer="+scrambled("cus", i)); err != nil {
						return err
					}
					j, err := tx.AddJob(store.Job{Kind: "subscription.period_end", ObjectID: scrambled("sub", i), Due: start.Add(time.Duration(i) * time.Minute)})
					if err != nil {
						return err
					}
					jobs[i] = j
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			before := pages(s, backend)
			i := uint64(0)
			for b.Loop() {
				k := i % n
				err := s.Update(func(tx store.Tx) error {
					sub := scrambled("sub", k)
					if _, err := tx.Get("subscription", sub); err != nil {
						return err
					}
					if err := tx.Put("subscription", sub, subscription, "customer="+scrambled("cus", k)); err != nil {
						return err
					}
					if err := tx.Put("customer", scrambled("cus", k), customer); err != nil {
						return err
					}
					if err := tx.Put("invoice", scrambled("in", i), invoice, "customer="+scrambled("cus", k)); err != nil {
						return err
					}
					for e := range uint64(8) {
						if err := tx.Put("event", fmt.Sprintf("evt_%d_%d", i, e), event); err != nil {
							return err
						}
					}
					if err := tx.RemoveJob(jobs[k]); err != nil {
						return err
					}
					next := jobs[k]
					next.Due = next.Due.AddDate(0, 1, 0)
					jobs[k], err = tx.AddJob(next)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportPages(b, backend, s, before)
		})
	}
}

// pages returns the pages the bolt store s has written, or 0.
func pages(s store.Store, backend string) int64 {
	if backend == "bolt" {
		return store.BoltPages(s)
	}
	return 0
}
