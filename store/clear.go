package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Clear empties s, a store made by NewMemory or OpenBolt, in one write
// transaction: every record, counter and job goes, as if s were new. It
// waits for running transactions. Other Store implementations get an error.
func Clear(s Store) error {
	c, ok := s.(interface{ clear() error })
	if !ok {
		return fmt.Errorf("store: Clear: %T is not a store made by NewMemory or OpenBolt", s)
	}
	return c.clear()
}

func (s *memStore) clear() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.reset()
	return nil
}

// reset empties s; the caller holds the lock.
func (s *memStore) reset() {
	fresh := NewMemory().(*memStore)
	s.kinds, s.counters, s.lastSeq = fresh.kinds, fresh.counters, 0
	s.jobSeq, s.queues, s.jobs, s.jobsByObject = 0, fresh.queues, fresh.jobs, fresh.jobsByObject
}

func (s *boltStore) clear() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.run(s.db.Update, true, func(t Tx) error {
		btx := t.(*boltTx).tx
		var names [][]byte
		err := btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, append([]byte(nil), name...))
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		for _, name := range fixedBuckets {
			if _, err := btx.CreateBucket(name); err != nil {
				return err
			}
		}
		return btx.Bucket(bucketLayout).Put(keyLayoutVersion, seqKey(nil, boltLayout))
	})
	if err == nil {
		s.idx.reset()
	}
	return err
}
