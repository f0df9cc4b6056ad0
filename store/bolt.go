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
//	kind/<kind>      one bucket per record kind, its keys in three regions:
//	  'i' + term + 0x00 + seq -> id   (index entries, in seq order per term)
//	  'o' + seq -> id                 (insertion order)
//	  'r' + id -> seq + n + terms + data
//	                                  (the record: n is the length of terms in
//	                                  4 big-endian bytes, each term is followed
//	                                  by 0x00)
//	  The bucket's own sequence hands out seq.
//	counters         name -> value
//	jobs             timeline + 0x00 + due + seq -> JSON of the Job (the bucket's sequence hands out Seq)
//	jobobjects       kind + 0x00 + object ID + 0x00 + seq -> key in jobs
//
// A kind's regions share one bucket, and kind buckets sit at the top level,
// because every bucket a transaction touches costs at least one more page
// at commit: its own leaf, plus the parent leaf that holds its header. A
// Put of a new record so dirties the record's leaf, the last order leaf, an
// index leaf per term and the branches above them, all in one tree.
//
// due is Due.UnixNano with the sign bit flipped, so that times before 1970
// sort first. Terms, timelines, job kinds and object IDs contain no NUL
// byte, so a name followed by 0x00 is never the prefix of a longer name.
var (
	bucketCounters   = []byte("counters")
	bucketJobs       = []byte("jobs")
	bucketJobObjects = []byte("jobobjects")
)

// kindBucketPrefix starts the name of every kind's bucket; no fixed
// bucket's name starts with it.
const kindBucketPrefix = "kind/"

// Key prefixes of the regions of a kind's bucket.
const (
	regionIndex  = 'i'
	regionOrder  = 'o'
	regionRecord = 'r'
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
	// The fixed buckets always exist, so only kind buckets can be missing.
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketCounters, bucketJobs, bucketJobObjects} {
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
	kinds  map[string]*bolt.Bucket
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

// kind returns the bucket of kind, or nil if it has no records yet.
func (t *boltTx) kind(kind string) *bolt.Bucket {
	if b := t.kinds[kind]; b != nil {
		return b
	}
	b := t.tx.Bucket([]byte(kindBucketPrefix + kind))
	if b == nil {
		return nil
	}
	if t.kinds == nil {
		t.kinds = make(map[string]*bolt.Bucket)
	}
	t.kinds[kind] = b
	return b
}

// createKind returns the bucket of kind, creating it if needed.
func (t *boltTx) createKind(kind string) (*bolt.Bucket, error) {
	if b := t.kind(kind); b != nil {
		return b, nil
	}
	if _, err := t.tx.CreateBucket([]byte(kindBucketPrefix + kind)); err != nil {
		return nil, fmt.Errorf("store: create bucket for kind %q: %w", kind, err)
	}
	return t.kind(kind), nil
}

// record is a decoded record value. Its slices are bbolt's: valid until the
// transaction ends, copied before they are handed out.
type record struct {
	seq   uint64
	terms []byte // each term followed by 0x00; see decodeTerms
	data  []byte
}

func encodeRecord(seq uint64, terms []string, data []byte) []byte {
	n := 0
	for _, term := range terms {
		n += len(term) + 1
	}
	v := make([]byte, 0, 12+n+len(data))
	v = binary.BigEndian.AppendUint64(v, seq)
	v = binary.BigEndian.AppendUint32(v, uint32(n))
	for _, term := range terms {
		v = append(v, term...)
		v = append(v, 0)
	}
	return append(v, data...)
}

func decodeRecord(v []byte) (record, error) {
	if len(v) < 12 {
		return record{}, fmt.Errorf("value of %d bytes is too short", len(v))
	}
	n := binary.BigEndian.Uint32(v[8:])
	if uint64(n) > uint64(len(v)-12) {
		return record{}, fmt.Errorf("terms of %d bytes overrun the value", n)
	}
	return record{seq: binary.BigEndian.Uint64(v), terms: v[12 : 12+n], data: v[12+n:]}, nil
}

// decodeTerms returns the terms of a record as new strings.
func decodeTerms(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b[:len(b)-1]), "\x00")
}

// getRecord returns the record of id in the kind bucket b, and false if
// there is none.
func getRecord(b *bolt.Bucket, id string) (record, bool, error) {
	v := b.Get(recordKey(id))
	if v == nil {
		return record{}, false, nil
	}
	r, err := decodeRecord(v)
	if err != nil {
		return record{}, false, fmt.Errorf("store: record %q: %w", id, err)
	}
	return r, true, nil
}

func (t *boltTx) Get(kind, id string) ([]byte, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	b := t.kind(kind)
	if b == nil {
		return nil, ErrNotFound
	}
	r, ok, err := getRecord(b, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return clone(r.data), nil
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
	b, err := t.createKind(kind)
	if err != nil {
		return err
	}
	// bbolt keeps keys and values until commit, so none of these slices
	// are reused or changed after being handed over.
	old, ok, err := getRecord(b, id)
	if err != nil {
		return err
	}
	seq := old.seq
	if !ok {
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		if err := b.Put(orderKey(seq), []byte(id)); err != nil {
			return err
		}
	}
	if err := setTerms(b, id, seq, decodeTerms(old.terms), terms); err != nil {
		return err
	}
	return b.Put(recordKey(id), encodeRecord(seq, terms, data))
}

// setTerms replaces the index entries old of the record id with seq by
// terms.
func setTerms(b *bolt.Bucket, id string, seq uint64, old, terms []string) error {
	for _, term := range old {
		if !slices.Contains(terms, term) {
			if err := b.Delete(indexKey(term, seq)); err != nil {
				return err
			}
		}
	}
	for _, term := range terms {
		if !slices.Contains(old, term) {
			if err := b.Put(indexKey(term, seq), []byte(id)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *boltTx) Delete(kind, id string) error {
	if err := t.write(); err != nil {
		return err
	}
	b := t.kind(kind)
	if b == nil {
		return ErrNotFound
	}
	old, ok, err := getRecord(b, id)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	if err := setTerms(b, id, old.seq, decodeTerms(old.terms), nil); err != nil {
		return err
	}
	if err := b.Delete(orderKey(old.seq)); err != nil {
		return err
	}
	return b.Delete(recordKey(id))
}

func (t *boltTx) Scan(kind string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	b := t.kind(kind)
	if b == nil {
		return nil
	}
	return t.scan(b, []byte{regionOrder}, 0, false, reverse, fn)
}

func (t *boltTx) ScanFrom(kind, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	b, seq, err := t.from(kind, from)
	if err != nil {
		return err
	}
	return t.scan(b, []byte{regionOrder}, seq, true, reverse, fn)
}

func (t *boltTx) ScanIndexFrom(kind, term, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	b, seq, err := t.from(kind, from)
	if err != nil || hasNUL(term) {
		return err // no stored term has a NUL
	}
	return t.scan(b, indexPrefix(term), seq, true, reverse, fn)
}

// from returns the bucket of kind and the seq of its record from, or
// ErrNotFound.
func (t *boltTx) from(kind, from string) (*bolt.Bucket, uint64, error) {
	b := t.kind(kind)
	if b == nil {
		return nil, 0, ErrNotFound
	}
	r, ok, err := getRecord(b, from)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, ErrNotFound
	}
	return b, r.seq, nil
}

func (t *boltTx) ScanIndex(kind, term string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := t.read(); err != nil {
		return err
	}
	if hasNUL(term) {
		return nil // no stored term has one
	}
	b := t.kind(kind)
	if b == nil {
		return nil
	}
	return t.scan(b, indexPrefix(term), 0, false, reverse, fn)
}

// scan calls fn for the records named by the keys prefix + seq of the kind
// bucket b, whose values are record IDs, in order of seq; if seek, it
// starts beside from (after it, or before it if reverse).
func (t *boltTx) scan(b *bolt.Bucket, prefix []byte, from uint64, seek, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	// Records fn adds have a seq above limit and are not visited.
	limit := b.Sequence()
	c := b.Cursor()
	var k, v []byte
	switch {
	case seek && reverse:
		k, v = seekBefore(c, seqKey(prefix, from))
	case seek:
		k, v = c.Seek(seqKey(prefix, from+1))
	case reverse:
		k, v = seekBefore(c, seqKey(prefix, limit+1))
	default:
		k, v = c.Seek(prefix)
	}
	for k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix) {
		seq := binary.BigEndian.Uint64(k[len(prefix):])
		if seq > limit {
			return nil // only reached going forward
		}
		id := string(v)
		r, ok, err := getRecord(b, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("store: no record %q for sequence %d", id, seq)
		}
		writes := t.writes
		more, err := fn(id, clone(r.data))
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

func recordKey(id string) []byte {
	k := make([]byte, 0, 1+len(id))
	k = append(k, regionRecord)
	return append(k, id...)
}

func orderKey(seq uint64) []byte {
	return seqKey([]byte{regionOrder}, seq)
}

func indexPrefix(term string) []byte {
	k := make([]byte, 0, len(term)+2)
	k = append(k, regionIndex)
	k = append(k, term...)
	return append(k, 0)
}

func indexKey(term string, seq uint64) []byte {
	return seqKey(indexPrefix(term), seq)
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
