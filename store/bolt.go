package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Layout of the bbolt file. Sequences are 8-byte big-endian, so byte order
// is numeric order.
//
//	records          every record of every kind, keyed by its seq:
//	  seq -> len(kind) + kind + len(id) + id + len(terms) + terms + data
//	                                  (the lengths are uvarints; each term
//	                                  is followed by 0x00)
//	  The bucket's own sequence is the last seq handed out.
//	counters         name -> value
//	jobs             every pending job, keyed by its Seq:
//	  seq -> len(kind) + kind + len(object ID) + object ID +
//	         len(timeline) + timeline + due
//	                                  (the lengths are uvarints; due is
//	                                  Due.UnixNano in 8 big-endian bytes)
//	  The bucket's own sequence is the last Seq handed out.
//	layout           "version" -> boltLayout in 8 big-endian bytes
//
// A record's seq is its place in the insertion order of its kind; seqs are
// handed out by one counter for all kinds (see memStore.lastSeq). The map
// from kind and ID to seq, the index terms and the queues of jobs are kept
// in memory, not in the file: OpenBolt rebuilds them from the records
// (each carries its kind, ID and terms) and the jobs, and transactions keep
// them as the memory store does (see NewMemory), with the same locking: an
// Update excludes Views. NextJob and Jobs read memory alone. So a Put
// writes one key and Get looks its seq up in memory. Keying by seq rather
// than by ID (which the resources scramble) puts every new record, of any
// kind, at the right edge of the one records bucket: a transaction that
// creates records dirties the last leaf or two of that bucket, the
// branches above them, the leaves of the older records it replaces and the
// root leaf holding the bucket headers, where the small counters bucket
// also lives inline. Jobs, keyed by Seq too, are added at the right edge
// of their bucket. The pages of both are filled full (FillPercent 1), as
// appends dominate.
//
// Layouts 1 and 2 kept a bucket per kind ("kind/" + kind), keyed by 'r' +
// ID, with values seq + n + terms + data (n being the length of terms in 4
// big-endian bytes) and seqs counted per kind; layout 1 also kept the
// order ('o' + seq -> id) and the index ('i' + term + 0x00 + seq -> id) in
// each kind's bucket. They kept jobs keyed by timeline + 0x00 + due + seq
// (due being Due.UnixNano with the sign bit flipped) with the Job in JSON,
// and a jobobjects bucket (kind + 0x00 + object ID + 0x00 + seq -> key in
// jobs). OpenBolt moves the records of such a file into the records bucket
// once, keeping each kind's order, rewrites its jobs, and marks the file as
// layout 3.
var (
	bucketRecords    = []byte("records")
	bucketCounters   = []byte("counters")
	bucketJobs       = []byte("jobs")
	bucketJobObjects = []byte("jobobjects")
	bucketLayout     = []byte("layout")
	keyLayoutVersion = []byte("version")
)

// boltLayout is the version of the layout this code writes. Files without
// a layout bucket are layout 1.
const boltLayout = 3

// appendFillPercent is how full bbolt packs the pages of the records and
// jobs buckets when it splits them: both are keyed by seq, so new keys go to
// the right edge and pages left behind are rarely written again and may as
// well be full.
const appendFillPercent = 1.0

// kindBucketPrefix started the name of each kind's bucket up to layout 2.
const kindBucketPrefix = "kind/"

// regionRecord started the key of every record in a kind's bucket up to
// layout 2.
const regionRecord = 'r'

// fixedBuckets are the buckets every file has.
var fixedBuckets = [][]byte{bucketRecords, bucketCounters, bucketJobs, bucketLayout}

// BoltOption configures OpenBolt.
type BoltOption func(*boltConfig)

type boltConfig struct {
	noSync bool
}

// BoltNoSync turns off fsync on commit and when the file grows, and the
// persisted freelist (bbolt's NoSync, NoGrowSync and NoFreelistSync). It
// trades crash safety for speed: if the process or machine crashes the
// file may be lost or corrupt. Use it for temporary databases, such as
// those under t.TempDir(). The default syncs every commit.
func BoltNoSync() BoltOption {
	return func(c *boltConfig) { c.noSync = true }
}

// OpenBolt opens the bbolt database at path as a Store, creating the file
// if needed.
//
// bbolt locks the file while it is open, even against this process. If the
// lock cannot be taken within one second OpenBolt gives up with an error
// wrapping bbolt's ErrTimeout rather than hang.
//
// Update and View map to bbolt's Update and View (never Batch, which may run
// fn twice). As in the memory store, an Update excludes Views, and calling
// View or Update from inside fn deadlocks. Get and Scan hand out copies,
// never bbolt's own slices, which die with the transaction.
//
// Each record's place in insertion order and its index terms, and the
// queues of jobs, are kept in memory (about 150 bytes a record plus its ID
// and terms), rebuilt by reading every record and job once at open. The
// file keys records by their place in insertion order, so a write
// transaction costs few pages: new records of every kind go to the end of
// one tree. A file written by an earlier stripefake (layouts 1
// and 2) is upgraded in place the first time it is opened; one written by
// a newer layout is refused with an error saying so.
func OpenBolt(path string, opts ...BoltOption) (Store, error) {
	var c boltConfig
	for _, opt := range opts {
		opt(&c)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        time.Second,
		NoSync:         c.noSync,
		NoGrowSync:     c.noSync,
		NoFreelistSync: c.noSync,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &boltStore{db: db, idx: NewMemory().(*memStore)}
	// The fixed buckets always exist, so only kind buckets can be missing.
	if err := db.Update(s.load); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// load creates the fixed buckets of a new file, brings a file of an older
// layout to this one, and rebuilds the order and index of every kind in
// memory.
func (s *boltStore) load(tx *bolt.Tx) error {
	version := uint64(1)
	if b := tx.Bucket(bucketLayout); b != nil {
		if v := b.Get(keyLayoutVersion); len(v) == 8 {
			version = binary.BigEndian.Uint64(v)
		}
	} else if tx.Bucket(bucketCounters) == nil {
		version = boltLayout // a new file
	}
	if version > boltLayout {
		return fmt.Errorf("the file has layout %d; this stripefake reads layouts up to %d: open it with the newer stripefake that wrote it", version, boltLayout)
	}
	for _, name := range fixedBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketLayout).Put(keyLayoutVersion, seqKey(nil, boltLayout)); err != nil {
		return err
	}
	if version < 3 {
		if err := upgradeKinds(tx); err != nil {
			return err
		}
		if err := upgradeJobs(tx); err != nil {
			return err
		}
	}
	if err := s.loadRecords(tx.Bucket(bucketRecords)); err != nil {
		return err
	}
	return s.loadJobs(tx.Bucket(bucketJobs))
}

// upgradeJobs rewrites the jobs of a file of layout 1 or 2, keyed by
// timeline, due time and seq with JSON values, as layout 3 keeps them, and
// drops the jobobjects bucket.
func upgradeJobs(tx *bolt.Tx) error {
	old := tx.Bucket(bucketJobs)
	lastSeq := old.Sequence()
	var jobs []Job
	err := old.ForEach(func(k, v []byte) error {
		var j Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("decode job %x: %w", k, err)
		}
		jobs = append(jobs, j)
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketJobs, bucketJobObjects} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
	}
	b, err := tx.CreateBucket(bucketJobs)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if err := b.Put(seqKey(nil, j.Seq), encodeJob(j)); err != nil {
			return err
		}
	}
	return b.SetSequence(lastSeq)
}

// loadJobs puts the jobs of the jobs bucket b in memory.
func (s *boltStore) loadJobs(b *bolt.Bucket) error {
	s.idx.jobSeq = b.Sequence()
	return b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("jobs: key %x is not a seq", k)
		}
		j, err := decodeJob(binary.BigEndian.Uint64(k), v)
		if err != nil {
			return fmt.Errorf("job %x: %w", k, err)
		}
		s.idx.insertJob(&memJob{job: j, due: j.Due.UnixNano()})
		s.idx.jobSeq = max(s.idx.jobSeq, j.Seq)
		return nil
	})
}

// upgradeKinds moves the records of a file of layout 1 or 2 from the
// bucket of each kind, keyed by ID, to the records bucket, keyed by new
// seqs that keep each kind's order, and drops the kind buckets.
func upgradeKinds(tx *bolt.Tx) error {
	type entry struct {
		seq uint64 // in the kind
		val []byte // as layout 3 stores it
	}
	var recs []entry
	var kinds [][]byte
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		kind, ok := bytes.CutPrefix(name, []byte(kindBucketPrefix))
		if !ok {
			return nil
		}
		kinds = append(kinds, clone(name))
		return b.ForEach(func(key, v []byte) error {
			if key[0] != regionRecord {
				return nil // layout 1's order and index
			}
			id := key[1:]
			rec, err := decodeLayout2Record(v)
			if err != nil {
				return fmt.Errorf("kind %q: record %q: %w", kind, id, err)
			}
			// The new value is a copy: the old pages go with their bucket.
			recs = append(recs, entry{seq: rec.seq, val: encodeRecord(kind, id, rec.terms, rec.data)})
			return nil
		})
	})
	if err != nil {
		return err
	}
	// Seqs were counted per kind: ordering by them keeps each kind's
	// order, and the stable sort keeps records of one seq in kind order.
	slices.SortStableFunc(recs, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	for _, name := range kinds {
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
	}
	b := tx.Bucket(bucketRecords)
	b.FillPercent = appendFillPercent
	for i, r := range recs {
		if err := b.Put(seqKey(nil, uint64(i+1)), r.val); err != nil {
			return err
		}
	}
	return b.SetSequence(uint64(len(recs)))
}

// loadRecords rebuilds the order and index of every kind in memory from
// the records bucket b.
func (s *boltStore) loadRecords(b *bolt.Bucket) error {
	s.idx.lastSeq = b.Sequence()
	var k *memKind
	// Keys are seqs in ascending order, so the order and every index list
	// come out sorted.
	c := b.Cursor()
	for key, v := c.First(); key != nil; key, v = c.Next() {
		if len(key) != 8 {
			return fmt.Errorf("records: key %x is not a seq", key)
		}
		seq := binary.BigEndian.Uint64(key)
		rec, err := decodeRecord(v)
		if err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		if k == nil || k.name != string(rec.kind) {
			k = s.idx.kinds[string(rec.kind)]
			if k == nil {
				k = newMemKind(string(rec.kind))
				s.idx.kinds[k.name] = k
			}
		}
		id := string(rec.id)
		if r := k.records[id]; r != nil {
			return fmt.Errorf("records %d and %d are both %s %q", r.seq, seq, k.name, id)
		}
		r := &memRecord{seq: seq, terms: decodeTerms(rec.terms)}
		k.records[id] = r
		k.order = append(k.order, memEntry{seq: seq, id: id})
		for _, term := range r.terms {
			k.index[term] = append(k.index[term], memEntry{seq: seq, id: id})
		}
		k.lastSeq = seq
		s.idx.lastSeq = max(s.idx.lastSeq, seq)
	}
	return nil
}

// CheckBolt runs bbolt's integrity check on a store made by OpenBolt and
// returns every problem found, joined. Tests call it before closing.
func CheckBolt(s Store) error {
	b, ok := s.(*boltStore)
	if !ok {
		return fmt.Errorf("store: CheckBolt: %T is not a bolt store", s)
	}
	if b.closed.Load() {
		return ErrClosed
	}
	err := b.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

type boltStore struct {
	db     *bolt.DB
	closed atomic.Bool

	// mu is held for writing by an Update and for reading by a View, so
	// that idx, shared by all transactions, is always that of the file
	// as a transaction sees it.
	mu sync.RWMutex
	// idx holds the order and index terms of every record (with no data).
	idx *memStore
}

func (s *boltStore) Update(fn func(Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run(s.db.Update, true, fn)
}

func (s *boltStore) View(fn func(Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.run(s.db.View, false, fn)
}

func (s *boltStore) run(begin func(func(*bolt.Tx) error) error, writable bool, fn func(Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	idx := &memTx{s: s.idx, writable: writable}
	committed := false
	// Deferred so that a panic in fn rolls the index back with the file.
	defer func() {
		idx.done = true
		if !committed {
			idx.rollback()
		}
	}()
	called := false
	err := begin(func(btx *bolt.Tx) error {
		called = true
		tx := &boltTx{tx: btx, idx: idx}
		idx.data = tx.getRecord
		defer func() { tx.done = true }()
		return fn(tx)
	})
	// Close may win the race after the check above; bbolt then refuses to
	// begin. Errors from fn itself are returned unchanged.
	if !called && errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if err == nil {
		committed = true
		idx.commit()
	}
	return err
}

// Close waits for running transactions, then closes the file.
func (s *boltStore) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.db.Close()
}

type boltTx struct {
	tx   *bolt.Tx
	done bool
	// idx keeps the order and index in step with the file; the scans are
	// its own, reading each record's data through boltTx.getRecord.
	idx     *memTx
	records *bolt.Bucket // the records bucket, once looked up
}

func (t *boltTx) read() error {
	if t.done {
		return errTxDone
	}
	return nil
}

func (t *boltTx) write() error {
	if t.done {
		return errTxDone
	}
	if !t.tx.Writable() {
		return errReadOnly
	}
	return nil
}

// recordsBucket returns the records bucket.
func (t *boltTx) recordsBucket() *bolt.Bucket {
	if t.records == nil {
		t.records = t.tx.Bucket(bucketRecords)
		if t.tx.Writable() {
			t.records.FillPercent = appendFillPercent
		}
	}
	return t.records
}

// record is a decoded record value. Its slices are bbolt's: valid until the
// transaction ends, copied before they are handed out.
type record struct {
	kind  []byte
	id    []byte
	terms []byte // each term followed by 0x00; see decodeTerms
	data  []byte
}

// encodeRecord returns a new value holding a record of kind and id with
// terms (each followed by 0x00) and data.
func encodeRecord[S string | []byte](kind, id S, terms []byte, data []byte) []byte {
	v := make([]byte, 0, 3*binary.MaxVarintLen32+len(kind)+len(id)+len(terms)+len(data))
	v = binary.AppendUvarint(v, uint64(len(kind)))
	v = append(v, kind...)
	v = binary.AppendUvarint(v, uint64(len(id)))
	v = append(v, id...)
	v = binary.AppendUvarint(v, uint64(len(terms)))
	v = append(v, terms...)
	return append(v, data...)
}

func decodeRecord(v []byte) (record, error) {
	var r record
	var err error
	if r.kind, v, err = lengthPrefixed(v); err != nil {
		return record{}, fmt.Errorf("kind: %w", err)
	}
	if r.id, v, err = lengthPrefixed(v); err != nil {
		return record{}, fmt.Errorf("id: %w", err)
	}
	if r.terms, v, err = lengthPrefixed(v); err != nil {
		return record{}, fmt.Errorf("terms: %w", err)
	}
	r.data = v
	return r, nil
}

// lengthPrefixed splits v after the field that starts it, a uvarint length
// then that many bytes.
func lengthPrefixed(v []byte) (field, rest []byte, err error) {
	n, size := binary.Uvarint(v)
	if size <= 0 {
		return nil, nil, errors.New("bad length")
	}
	v = v[size:]
	if n > uint64(len(v)) {
		return nil, nil, fmt.Errorf("%d bytes overrun the value", n)
	}
	return v[:n], v[n:], nil
}

// layout2Record is a record value of layouts 1 and 2.
type layout2Record struct {
	seq   uint64
	terms []byte
	data  []byte
}

func decodeLayout2Record(v []byte) (layout2Record, error) {
	if len(v) < 12 {
		return layout2Record{}, fmt.Errorf("value of %d bytes is too short", len(v))
	}
	n := binary.BigEndian.Uint32(v[8:])
	if uint64(n) > uint64(len(v)-12) {
		return layout2Record{}, fmt.Errorf("terms of %d bytes overrun the value", n)
	}
	return layout2Record{seq: binary.BigEndian.Uint64(v), terms: v[12 : 12+n], data: v[12+n:]}, nil
}

// joinTerms returns terms, each followed by 0x00, as a record holds them.
func joinTerms(terms []string) []byte {
	n := 0
	for _, term := range terms {
		n += len(term) + 1
	}
	b := make([]byte, 0, n)
	for _, term := range terms {
		b = append(b, term...)
		b = append(b, 0)
	}
	return b
}

// decodeTerms returns the terms of a record as new strings.
func decodeTerms(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b[:len(b)-1]), "\x00")
}

// seq returns the seq of the record of kind with id, as the index of this
// transaction has it, and false if there is no such record.
func (t *boltTx) seq(kind, id string) (uint64, bool) {
	k := t.idx.s.kinds[kind]
	if k == nil {
		return 0, false
	}
	r := k.records[id]
	if r == nil {
		return 0, false
	}
	return r.seq, true
}

// getRecord returns a copy of the data of the record of kind with id, whose
// seq is seq.
func (t *boltTx) getRecord(kind, id string, seq uint64) ([]byte, error) {
	v := t.recordsBucket().Get(seqKey(nil, seq))
	if v == nil {
		return nil, fmt.Errorf("store: the index names record %d, %s %q, which the file lacks", seq, kind, id)
	}
	r, err := decodeRecord(v)
	if err != nil {
		return nil, fmt.Errorf("store: record %d, %s %q: %w", seq, kind, id, err)
	}
	if string(r.kind) != kind || string(r.id) != id {
		return nil, fmt.Errorf("store: record %d is %s %q, but the index says %s %q", seq, r.kind, r.id, kind, id)
	}
	return clone(r.data), nil
}

func (t *boltTx) Get(kind, id string) ([]byte, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	seq, ok := t.seq(kind, id)
	if !ok {
		return nil, ErrNotFound
	}
	return t.getRecord(kind, id, seq)
}

func (t *boltTx) Put(kind, id string, data []byte, terms ...string) error {
	if err := t.write(); err != nil {
		return err
	}
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	terms, err := cleanTerms(terms)
	if err != nil {
		return err
	}
	b := t.recordsBucket()
	// The index hands out seq: a new record's is one past the store's last.
	seq, ok := t.seq(kind, id)
	if !ok {
		seq = t.idx.s.lastSeq + 1
	}
	// bbolt keeps keys and values until commit, so none of these slices
	// are reused or changed after being handed over.
	if err := b.Put(seqKey(nil, seq), encodeRecord(kind, id, joinTerms(terms), data)); err != nil {
		return err
	}
	if seq > b.Sequence() {
		if err := b.SetSequence(seq); err != nil {
			return err
		}
	}
	return t.idx.Put(kind, id, nil, terms...)
}

func (t *boltTx) Delete(kind, id string) error {
	if err := t.write(); err != nil {
		return err
	}
	seq, ok := t.seq(kind, id)
	if !ok {
		return ErrNotFound
	}
	if err := t.idx.Delete(kind, id); err != nil {
		return err
	}
	return t.recordsBucket().Delete(seqKey(nil, seq))
}

func (t *boltTx) Scan(kind string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	return t.idx.Scan(kind, reverse, fn)
}

func (t *boltTx) ScanFrom(kind, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	return t.idx.ScanFrom(kind, from, reverse, fn)
}

func (t *boltTx) ScanIndexFrom(kind, term, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	return t.idx.ScanIndexFrom(kind, term, from, reverse, fn)
}

func (t *boltTx) ScanIndex(kind, term string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	return t.idx.ScanIndex(kind, term, reverse, fn)
}

func (t *boltTx) NextSequence(name string) (uint64, error) {
	if err := t.write(); err != nil {
		return 0, err
	}
	if name == "" {
		return 0, errEmptyCounter
	}
	b := t.tx.Bucket(bucketCounters)
	key := []byte(name)
	var n uint64
	if v := b.Get(key); v != nil {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	if err := b.Put(key, seqKey(nil, n)); err != nil {
		return 0, err
	}
	return n, nil
}

func (t *boltTx) AddJob(j Job) (Job, error) {
	if err := t.write(); err != nil {
		return Job{}, err
	}
	j, err := t.idx.AddJob(j)
	if err != nil {
		return Job{}, err
	}
	jobs := t.tx.Bucket(bucketJobs)
	jobs.FillPercent = appendFillPercent
	if err := jobs.Put(seqKey(nil, j.Seq), encodeJob(j)); err != nil {
		return Job{}, err
	}
	if err := jobs.SetSequence(j.Seq); err != nil {
		return Job{}, err
	}
	return j, nil
}

func (t *boltTx) RemoveJob(j Job) error {
	if err := t.write(); err != nil {
		return err
	}
	had := t.idx.s.jobs[j.Seq] != nil
	if err := t.idx.RemoveJob(j); err != nil {
		return err
	}
	if !had || t.idx.s.jobs[j.Seq] != nil {
		return nil // no such job
	}
	return t.tx.Bucket(bucketJobs).Delete(seqKey(nil, j.Seq))
}

func (t *boltTx) RemoveJobs(kind, objectID string) error {
	if err := t.write(); err != nil {
		return err
	}
	set := t.idx.s.jobsByObject[jobObject{kind, objectID}]
	seqs := make([]uint64, 0, len(set))
	for seq := range set {
		seqs = append(seqs, seq)
	}
	if err := t.idx.RemoveJobs(kind, objectID); err != nil {
		return err
	}
	jobs := t.tx.Bucket(bucketJobs)
	for _, seq := range seqs {
		if err := jobs.Delete(seqKey(nil, seq)); err != nil {
			return err
		}
	}
	return nil
}

func (t *boltTx) NextJob(timeline string) (Job, bool, error) {
	if err := t.read(); err != nil {
		return Job{}, false, err
	}
	return t.idx.NextJob(timeline)
}

func (t *boltTx) Jobs() ([]Job, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.idx.Jobs()
}

// encodeJob returns the value that stores j: its kind, object ID and
// timeline, each after its length as a uvarint, then its due time as
// UnixNano in 8 big-endian bytes.
func encodeJob(j Job) []byte {
	v := make([]byte, 0, 3*binary.MaxVarintLen32+len(j.Kind)+len(j.ObjectID)+len(j.Timeline)+8)
	for _, s := range []string{j.Kind, j.ObjectID, j.Timeline} {
		v = binary.AppendUvarint(v, uint64(len(s)))
		v = append(v, s...)
	}
	return binary.BigEndian.AppendUint64(v, uint64(j.Due.UnixNano()))
}

// decodeJob decodes the job stored under seq with value v.
func decodeJob(seq uint64, v []byte) (Job, error) {
	var fields [3][]byte
	for i := range fields {
		var err error
		if fields[i], v, err = lengthPrefixed(v); err != nil {
			return Job{}, err
		}
	}
	if len(v) != 8 {
		return Job{}, fmt.Errorf("due time of %d bytes, want 8", len(v))
	}
	due := int64(binary.BigEndian.Uint64(v))
	return Job{Kind: string(fields[0]), ObjectID: string(fields[1]), Timeline: string(fields[2]), Due: time.Unix(0, due).UTC(), Seq: seq}, nil
}

// seqKey returns a new slice holding prefix then seq in 8 big-endian bytes.
func seqKey(prefix []byte, seq uint64) []byte {
	k := make([]byte, 0, len(prefix)+8)
	k = append(k, prefix...)
	return binary.BigEndian.AppendUint64(k, seq)
}
