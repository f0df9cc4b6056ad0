// Package store holds the fake's state: records of a kind, keyed by ID, kept in
// insertion order, with optional index terms, named counters and the queue of
// scheduled jobs.
//
// The store knows nothing about Stripe. Records are opaque bytes (the
// resources package writes JSON); all meaning lives in package resources.
// Two backends implement Store: NewMemory and OpenBolt. Both pass the
// conformance suite in store/storetest, so they cannot drift on features.
package store

import (
	"errors"
	"time"
)

// ErrNotFound is returned by Get and Delete when no record has the kind and ID.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by every call on a closed store.
var ErrClosed = errors.New("store: closed")

// Store is a transactional record store.
//
// Update runs one read-write transaction at a time; View may run
// concurrently with other Views. If fn returns an error every write it made
// is rolled back and the error is returned unchanged (check with errors.Is).
// Byte slices handed to fn are valid only until fn returns; copy to keep.
type Store interface {
	Update(fn func(Tx) error) error
	View(fn func(Tx) error) error
	Close() error
}

// Tx is a transaction. Writes are only allowed in Update transactions;
// inside View they return an error.
type Tx interface {
	// Get returns the record of kind with id, or ErrNotFound.
	Get(kind, id string) ([]byte, error)
	// Put stores data as the record of kind with id. A new record is
	// appended to the kind's insertion order; replacing a record keeps its
	// place. The record's index terms are replaced by terms (none clears
	// them; duplicates count once). kind and id must not be empty and no
	// term may contain a NUL byte.
	Put(kind, id string, data []byte, terms ...string) error
	// Delete removes the record and its index terms, or returns ErrNotFound.
	Delete(kind, id string) error
	// Scan calls fn for every record of kind in insertion order, oldest
	// first, or newest first if reverse. It stops when fn returns false or
	// an error; the error is returned.
	//
	// Inside Update, fn may write. Records it deletes before Scan reaches
	// them are skipped, records it replaces are seen with their new data,
	// and records it adds are not visited.
	Scan(kind string, reverse bool, fn func(id string, data []byte) (bool, error)) error
	// ScanIndex is Scan restricted to the records of kind that carry term.
	// If fn changes terms, records ahead that gain term are visited and
	// those that lose it are skipped.
	ScanIndex(kind, term string, reverse bool, fn func(id string, data []byte) (bool, error)) error
	// ScanFrom is Scan starting beside the record of kind with id from,
	// without visiting it: with the next newer record, or the next older
	// one if reverse. It seeks, so a page of a list costs the page, not
	// the records before it. It returns ErrNotFound if there is no such
	// record.
	ScanFrom(kind, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error
	// ScanIndexFrom is ScanIndex starting beside the record from, as
	// ScanFrom does; from need not carry term.
	ScanIndexFrom(kind, term, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error
	// NextSequence returns the next value of the named counter, from 1.
	// name must not be empty.
	NextSequence(name string) (uint64, error)

	// AddJob stores j, assigning it the next job sequence number, and
	// returns it as stored, with Due in UTC. Due must lie within the years
	// 1678 to 2262 (the range of time.UnixNano), and Kind, ObjectID and
	// Timeline must not contain a NUL byte.
	AddJob(j Job) (Job, error)
	// RemoveJob removes the job with j's Timeline, Due and Seq; removing a
	// job that is not there is not an error.
	RemoveJob(j Job) error
	// RemoveJobs removes every job of kind for objectID, on any timeline.
	RemoveJobs(kind, objectID string) error
	// NextJob returns the earliest job of timeline, ordered by Due then
	// Seq, and false if there is none.
	NextJob(timeline string) (Job, bool, error)
	// Jobs returns every pending job ordered by Timeline, Due, then Seq.
	Jobs() ([]Job, error)
}

// Job is a unit of scheduled work, stored as data so that it survives a
// reopen and can be listed.
type Job struct {
	Kind     string    // what to do, e.g. "invoice.finalize"
	ObjectID string    // the object it applies to
	Timeline string    // "" for the fake's own clock, else a test clock ID
	Due      time.Time // when it falls due; kept to the nanosecond
	Seq      uint64    // assigned by AddJob; breaks ties in Due
}
