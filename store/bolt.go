package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Layout of the bbolt file. Sequences are 8-byte big-endian, so byte order
// is numeric order.
//
//	kinds/<kind>/records  id -> seq + data
//	kinds/<kind>/order    seq -> id (insertion order; the bucket's sequence hands out seq)
//	kinds/<kind>/index    term + 0x00 + seq -> id
//	kinds/<kind>/terms    id -> the record's terms, each followed by 0x00
//	counters              name -> value
//	jobs                  timeline + 0x00 + due + seq -> JSON of the Job (the bucket's sequence hands out Seq)
//	jobobjects            kind + 0x00 + object ID + 0x00 + seq -> key in jobs
//
// due is Due.UnixNano with the sign bit flipped, so that times before 1970
// sort first. Terms, timelines, job kinds and object IDs contain no NUL
// byte, so a name followed by 0x00 is never the prefix of a longer name.
var (
	bucketKinds      = []byte("kinds")
	bucketCounters   = []byte("counters")
	bucketJobs       = []byte("jobs")
	bucketJobObjects = []byte("jobobjects")

	bucketRecords = []byte("records")
	bucketOrder   = []byte("order")
	bucketIndex   = []byte("index")
	bucketTerms   = []byte("terms")
)

// BoltOption configures OpenBolt.
type BoltOption func(*boltConfig)

type boltConfig struct {
	noSync bool
}

// BoltNoSync turns off fsync on commit and the persisted freelist
// (bbolt's NoSync and NoFreelistSync). It trades crash safety for speed: if
// the process or machine crashes the file may be lost or corrupt. Use it for
// temporary databases, such as those under t.TempDir(). The default syncs
// every commit.
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
// fn twice). Calling View or Update from inside fn deadlocks. Get and Scan
// hand out copies, never bbolt's own slices, which die with the transaction.
func OpenBolt(path string, opts ...BoltOption) (Store, error) {
	var c boltConfig
	for _, opt := range opts {
		opt(&c)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        time.Second,
		NoSync:         c.noSync,
		NoFreelistSync: c.noSync,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// The fixed buckets always exist, so only kinds can be missing.
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketKinds, bucketCounters, bucketJobs, bucketJobObjects} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &boltStore{db: db}, nil
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
}

func (s *boltStore) Update(fn func(Tx) error) error {
	return s.run(s.db.Update, fn)
}

func (s *boltStore) View(fn func(Tx) error) error {
	return s.run(s.db.View, fn)
}

func (s *boltStore) run(begin func(func(*bolt.Tx) error) error, fn func(Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	called := false
	err := begin(func(btx *bolt.Tx) error {
		called = true
		tx := &boltTx{tx: btx}
		defer func() { tx.done = true }()
		return fn(tx)
	})
	// Close may win the race after the check above; bbolt then refuses to
	// begin. Errors from fn itself are returned unchanged.
	if !called && errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
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
	// writes counts writes so that a scan can tell whether fn wrote and
	// its cursor must be placed again.
	writes int
	kinds  map[string]*kindBuckets
}

type kindBuckets struct {
	records, order, index, terms *bolt.Bucket
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
	t.writes++
	return nil
}

// kind returns the buckets of kind, or nil if it has no records yet.
func (t *boltTx) kind(kind string) *kindBuckets {
	if kb := t.kinds[kind]; kb != nil {
		return kb
	}
	b := t.tx.Bucket(bucketKinds).Bucket([]byte(kind))
	if b == nil {
		return nil
	}
	kb := &kindBuckets{
		records: b.Bucket(bucketRecords),
		order:   b.Bucket(bucketOrder),
		index:   b.Bucket(bucketIndex),
		terms:   b.Bucket(bucketTerms),
	}
	if t.kinds == nil {
		t.kinds = make(map[string]*kindBuckets)
	}
	t.kinds[kind] = kb
	return kb
}

// createKind returns the buckets of kind, creating them if needed.
func (t *boltTx) createKind(kind string) (*kindBuckets, error) {
	if kb := t.kind(kind); kb != nil {
		return kb, nil
	}
	b, err := t.tx.Bucket(bucketKinds).CreateBucket([]byte(kind))
	if err != nil {
		return nil, fmt.Errorf("store: create buckets for kind %q: %w", kind, err)
	}
	for _, name := range [][]byte{bucketRecords, bucketOrder, bucketIndex, bucketTerms} {
		if _, err := b.CreateBucket(name); err != nil {
			return nil, fmt.Errorf("store: create buckets for kind %q: %w", kind, err)
		}
	}
	return t.kind(kind), nil
}

func (t *boltTx) Get(kind, id string) ([]byte, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	kb := t.kind(kind)
	if kb == nil {
		return nil, ErrNotFound
	}
	v := kb.records.Get([]byte(id))
	if v == nil {
		return nil, ErrNotFound
	}
	return clone(v[8:]), nil
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
	kb, err := t.createKind(kind)
	if err != nil {
		return err
	}
	// bbolt keeps keys and values until commit, so none of these slices
	// are reused or changed after being handed over.
	key := []byte(id)
	var seq uint64
	var oldTerms []string
	if old := kb.records.Get(key); old != nil {
		seq = binary.BigEndian.Uint64(old)
		oldTerms = decodeTerms(kb.terms.Get(key))
	} else {
		if seq, err = kb.order.NextSequence(); err != nil {
			return err
		}
		if err := kb.order.Put(seqKey(nil, seq), key); err != nil {
			return err
		}
	}
	val := make([]byte, 8+len(data))
	binary.BigEndian.PutUint64(val, seq)
	copy(val[8:], data)
	if err := kb.records.Put(key, val); err != nil {
		return err
	}
	return setTerms(kb, key, seq, oldTerms, terms)
}

// setTerms replaces the index entries of the record id with seq.
func setTerms(kb *kindBuckets, id []byte, seq uint64, old, terms []string) error {
	if slices.Equal(old, terms) {
		return nil
	}
	for _, term := range old {
		if !slices.Contains(terms, term) {
			if err := kb.index.Delete(seqKey(termPrefix(term), seq)); err != nil {
				return err
			}
		}
	}
	for _, term := range terms {
		if !slices.Contains(old, term) {
			if err := kb.index.Put(seqKey(termPrefix(term), seq), id); err != nil {
				return err
			}
		}
	}
	if len(terms) == 0 {
		return kb.terms.Delete(id)
	}
	return kb.terms.Put(id, encodeTerms(terms))
}

func (t *boltTx) Delete(kind, id string) error {
	if err := t.write(); err != nil {
		return err
	}
	kb := t.kind(kind)
	if kb == nil {
		return ErrNotFound
	}
	key := []byte(id)
	old := kb.records.Get(key)
	if old == nil {
		return ErrNotFound
	}
	seq := binary.BigEndian.Uint64(old)
	if err := setTerms(kb, key, seq, decodeTerms(kb.terms.Get(key)), nil); err != nil {
		return err
	}
	if err := kb.order.Delete(seqKey(nil, seq)); err != nil {
		return err
	}
	return kb.records.Delete(key)
}

func (t *boltTx) Scan(kind string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	kb := t.kind(kind)
	if kb == nil {
		return nil
	}
	return t.scan(kb, kb.order, nil, reverse, fn)
}

func (t *boltTx) ScanIndex(kind, term string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	if hasNUL(term) {
		return nil // no stored term has one
	}
	kb := t.kind(kind)
	if kb == nil {
		return nil
	}
	return t.scan(kb, kb.index, termPrefix(term), reverse, fn)
}

// scan calls fn for the records named by the keys prefix + seq of b, whose
// values are record IDs, in order of seq.
func (t *boltTx) scan(kb *kindBuckets, b *bolt.Bucket, prefix []byte, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	// Records fn adds have a seq above limit and are not visited.
	limit := kb.order.Sequence()
	c := b.Cursor()
	var k, v []byte
	if reverse {
		k, v = seekBefore(c, seqKey(prefix, limit+1))
	} else {
		k, v = c.Seek(prefix)
	}
	for k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix) {
		seq := binary.BigEndian.Uint64(k[len(prefix):])
		if seq > limit {
			return nil // only reached going forward
		}
		rec := kb.records.Get(v)
		if rec == nil {
			return fmt.Errorf("store: no record %q for sequence %d", v, seq)
		}
		writes := t.writes
		more, err := fn(string(v), clone(rec[8:]))
		if err != nil || !more {
			return err
		}
		switch {
		case t.writes == writes && reverse:
			k, v = c.Prev()
		case t.writes == writes:
			k, v = c.Next()
		// fn wrote, which invalidates the cursor: seek from our last seq.
		case reverse:
			k, v = seekBefore(c, seqKey(prefix, seq))
		default:
			k, v = c.Seek(seqKey(prefix, seq+1))
		}
	}
	return nil
}

// seekBefore moves c to the last key before key.
func seekBefore(c *bolt.Cursor, key []byte) ([]byte, []byte) {
	if k, _ := c.Seek(key); k == nil {
		return c.Last()
	}
	return c.Prev()
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
	if err := checkJob(j); err != nil {
		return Job{}, err
	}
	jobs := t.tx.Bucket(bucketJobs)
	seq, err := jobs.NextSequence()
	if err != nil {
		return Job{}, err
	}
	j.Seq = seq
	j.Due = dueTime(j.Due)
	val, err := json.Marshal(j)
	if err != nil {
		return Job{}, err
	}
	key := jobKey(j)
	if err := jobs.Put(key, val); err != nil {
		return Job{}, err
	}
	if err := t.tx.Bucket(bucketJobObjects).Put(seqKey(jobObjectPrefix(j.Kind, j.ObjectID), seq), key); err != nil {
		return Job{}, err
	}
	return j, nil
}

func (t *boltTx) RemoveJob(j Job) error {
	if err := t.write(); err != nil {
		return err
	}
	if hasNUL(j.Timeline) || !validDue(j.Due) {
		return nil // no such job can be stored
	}
	jobs := t.tx.Bucket(bucketJobs)
	key := jobKey(j)
	v := jobs.Get(key)
	if v == nil {
		return nil
	}
	// The caller's j need not carry Kind and ObjectID; the stored one does.
	var stored Job
	if err := json.Unmarshal(v, &stored); err != nil {
		return fmt.Errorf("store: decode job %d: %w", j.Seq, err)
	}
	if err := jobs.Delete(key); err != nil {
		return err
	}
	return t.tx.Bucket(bucketJobObjects).Delete(seqKey(jobObjectPrefix(stored.Kind, stored.ObjectID), stored.Seq))
}

func (t *boltTx) RemoveJobs(kind, objectID string) error {
	if err := t.write(); err != nil {
		return err
	}
	if hasNUL(kind) || hasNUL(objectID) {
		return nil // no such job can be stored
	}
	objects := t.tx.Bucket(bucketJobObjects)
	prefix := jobObjectPrefix(kind, objectID)
	// Collect first: deleting under a cursor makes it skip keys.
	var objectKeys, jobKeys [][]byte
	c := objects.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		objectKeys = append(objectKeys, clone(k))
		jobKeys = append(jobKeys, clone(v))
	}
	jobs := t.tx.Bucket(bucketJobs)
	for i := range objectKeys {
		if err := jobs.Delete(jobKeys[i]); err != nil {
			return err
		}
		if err := objects.Delete(objectKeys[i]); err != nil {
			return err
		}
	}
	return nil
}

func (t *boltTx) NextJob(timeline string) (Job, bool, error) {
	if err := t.read(); err != nil {
		return Job{}, false, err
	}
	if hasNUL(timeline) {
		return Job{}, false, nil // no stored timeline has one
	}
	prefix := append([]byte(timeline), 0)
	k, v := t.tx.Bucket(bucketJobs).Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return Job{}, false, nil
	}
	var j Job
	if err := json.Unmarshal(v, &j); err != nil {
		return Job{}, false, fmt.Errorf("store: decode job %x: %w", k, err)
	}
	return j, true, nil
}

func (t *boltTx) Jobs() ([]Job, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	var jobs []Job
	err := t.tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
		var j Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("store: decode job %x: %w", k, err)
		}
		jobs = append(jobs, j)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

// seqKey returns a new slice holding prefix then seq in 8 big-endian bytes.
func seqKey(prefix []byte, seq uint64) []byte {
	k := make([]byte, 0, len(prefix)+8)
	k = append(k, prefix...)
	return binary.BigEndian.AppendUint64(k, seq)
}

func termPrefix(term string) []byte {
	return append([]byte(term), 0)
}

func encodeTerms(terms []string) []byte {
	var b []byte
	for _, term := range terms {
		b = append(b, term...)
		b = append(b, 0)
	}
	return b
}

func decodeTerms(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b[:len(b)-1]), "\x00")
}

// jobKey orders jobs by timeline, due time, then Seq.
func jobKey(j Job) []byte {
	k := make([]byte, 0, len(j.Timeline)+17)
	k = append(k, j.Timeline...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, uint64(j.Due.UnixNano())^(1<<63))
	return binary.BigEndian.AppendUint64(k, j.Seq)
}

func jobObjectPrefix(kind, objectID string) []byte {
	k := make([]byte, 0, len(kind)+len(objectID)+2)
	k = append(k, kind...)
	k = append(k, 0)
	k = append(k, objectID...)
	return append(k, 0)
}
