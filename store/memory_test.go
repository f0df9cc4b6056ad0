package store_test

import (
	"fmt"
	"testing"

	"github.com/stripefake/stripefake/store"
	"github.com/stripefake/stripefake/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := store.NewMemory()
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

func BenchmarkMemoryPutGet(b *testing.B) {
	s := store.NewMemory()
	defer s.Close()
	benchmarkPutGet(b, s)
}

// benchmarkPutGet measures one Update putting a 1 KB record and one View
// getting it back, cycling over 1024 IDs so the store stays a fixed size.
func benchmarkPutGet(b *testing.B, s store.Store) {
	data := make([]byte, 1024)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("obj_%04d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := ids[i%len(ids)]
		i++
		err := s.Update(func(tx store.Tx) error {
			return tx.Put("thing", id, data, "customer:cus_1")
		})
		if err != nil {
			b.Fatal(err)
		}
		err = s.View(func(tx store.Tx) error {
			_, err := tx.Get("thing", id)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
