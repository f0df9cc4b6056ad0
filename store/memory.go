package store

import (
	"cmp"
	"container/heap"
	"slices"
	"sync"
)

// NewMemory returns an empty Store that keeps everything in memory.
//
// One sync.RWMutex guards all state: Update holds the write lock for the
// whole transaction and View holds the read lock, so Views run alongside
// each other but never alongside an Update. Every write is paired with an
// undo step, and the steps run backwards if fn returns an error or panics.
// Calling View or Update from inside fn deadlocks.
//
// Put copies data in, and Get and Scan hand out fresh copies, so neither
// the caller nor the store can change the other's bytes.
func NewMemory() Store {
	return &memStore{
		kinds:        make(map[string]*memKind),
		counters:     make(map[string]uint64),
		queues:       make(map[string]*jobQueue),
		jobs:         make(map[uint64]*memJob),
		jobsByObject: make(map[jobObject]map[uint64]*memJob),
	}
}

type memStore struct {
	mu     sync.RWMutex
	closed bool

	kinds    map[string]*memKind
	counters map[string]uint64
	// lastSeq is the last seq handed out, to a record of any kind: seqs
	// are unique in the store, so the bolt store can key its file by seq
	// alone (see OpenBolt).
	lastSeq uint64

	// Jobs: a heap per timeline for NextJob, plus lookups by Seq for
	// RemoveJob and by kind and object for RemoveJobs.
	jobSeq       uint64
	queues       map[string]*jobQueue
	jobs         map[uint64]*memJob
	jobsByObject map[jobObject]map[uint64]*memJob
}

// memKind holds the records of one kind.
type memKind struct {
	name    string
	records map[string]*memRecord
	lastSeq uint64 // the seq of the kind's newest record, live or not

	// order lists records by ascending seq. Delete leaves its entry behind
	// (a dead entry: no record with that id and seq) so that undoing it
	// only has to restore the map; commit compacts once half are dead.
	order []memEntry
	dead  int

	// index maps a term to the records carrying it, by ascending seq.
	// Unlike order it holds no dead entries.
	index map[string][]memEntry
}

type memRecord struct {
	seq   uint64
	data  []byte // never modified in place; Put stores a new copy
	terms []string
}

type memEntry struct {
	seq uint64
	id  string
}

func newMemKind(name string) *memKind {
	return &memKind{name: name, records: make(map[string]*memRecord), index: make(map[string][]memEntry)}
}

func (k *memKind) live(e memEntry) bool {
	r := k.records[e.id]
	return r != nil && r.seq == e.seq
}

func (k *memKind) compact() {
	live := make([]memEntry, 0, len(k.order)-k.dead)
	for _, e := range k.order {
		if k.live(e) {
			live = append(live, e)
		}
	}
	k.order = live
	k.dead = 0
}

// setTerms makes r, stored under id, carry exactly terms in the index.
func (k *memKind) setTerms(id string, r *memRecord, terms []string) {
	for _, term := range r.terms {
		if !slices.Contains(terms, term) {
			list := k.index[term]
			i, _ := slices.BinarySearchFunc(list, r.seq, cmpSeq)
			list = slices.Delete(list, i, i+1)
			if len(list) == 0 {
				delete(k.index, term)
			} else {
				k.index[term] = list
			}
		}
	}
	for _, term := range terms {
		if !slices.Contains(r.terms, term) {
			list := k.index[term]
			e := memEntry{seq: r.seq, id: id}
			// New records have the highest seq, so this is usually an append.
			if n := len(list); n == 0 || list[n-1].seq < r.seq {
				k.index[term] = append(list, e)
			} else {
				i, _ := slices.BinarySearchFunc(list, r.seq, cmpSeq)
				k.index[term] = slices.Insert(list, i, e)
			}
		}
	}
	r.terms = terms
}

func cmpSeq(e memEntry, seq uint64) int {
	return cmp.Compare(e.seq, seq)
}

func (s *memStore) Update(fn func(Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	tx := &memTx{s: s, writable: true}
	committed := false
	// Deferred so that a panic in fn rolls back too, before the unlock.
	defer func() {
		tx.done = true
		if !committed {
			tx.rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	tx.commit()
	return nil
}

func (s *memStore) View(fn func(Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	tx := &memTx{s: s}
	defer func() { tx.done = true }()
	return fn(tx)
}

func (s *memStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.kinds, s.counters = nil, nil
	s.queues, s.jobs, s.jobsByObject = nil, nil, nil
	return nil
}

type memTx struct {
	s        *memStore
	writable bool
	done     bool

	// writes counts writes so that ScanIndex can tell whether fn wrote.
	writes int
	// undo holds one step per write, run last to first on rollback.
	undo []func()
	// deleted holds the kinds that Delete left dead entries in.
	deleted map[*memKind]bool
	// data, when not nil, reads the bytes of a record that a scan visits:
	// the bolt store keeps records in its file and only their order and
	// index terms here (with no data).
	data func(kind, id string, seq uint64) ([]byte, error)
}

// recordData returns a copy of the bytes of r, the record of k with id.
func (tx *memTx) recordData(k *memKind, id string, r *memRecord) ([]byte, error) {
	if tx.data != nil {
		return tx.data(k.name, id, r.seq)
	}
	return clone(r.data), nil
}

func (tx *memTx) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		tx.undo[i]()
	}
	tx.undo = nil
}

func (tx *memTx) commit() {
	for k := range tx.deleted {
		if k.dead > len(k.order)/2 {
			k.compact()
		}
	}
}

func (tx *memTx) read() error {
	if tx.done {
		return errTxDone
	}
	return nil
}

func (tx *memTx) write() error {
	if tx.done {
		return errTxDone
	}
	if !tx.writable {
		return errReadOnly
	}
	tx.writes++
	return nil
}

func (tx *memTx) Get(kind, id string) ([]byte, error) {
	if err := tx.read(); err != nil {
		return nil, err
	}
	k := tx.s.kinds[kind]
	if k == nil {
		return nil, ErrNotFound
	}
	r := k.records[id]
	if r == nil {
		return nil, ErrNotFound
	}
	return clone(r.data), nil
}

func (tx *memTx) Put(kind, id string, data []byte, terms ...string) error {
	if err := tx.write(); err != nil {
		return err
	}
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	terms, err := cleanTerms(terms)
	if err != nil {
		return err
	}
	k := tx.s.kinds[kind]
	if k == nil {
		k = newMemKind(kind)
		tx.s.kinds[kind] = k
	}
	data = clone(data)

	r := k.records[id]
	if r == nil {
		tx.s.lastSeq++
		kindLast := k.lastSeq
		k.lastSeq = tx.s.lastSeq
		r = &memRecord{seq: k.lastSeq, data: data}
		k.records[id] = r
		k.order = append(k.order, memEntry{seq: r.seq, id: id})
		k.setTerms(id, r, terms)
		// Undo runs backwards and commit is the only compaction, so this
		// record's entry is the last one when the step runs.
		tx.undo = append(tx.undo, func() {
			k.setTerms(id, r, nil)
			delete(k.records, id)
			k.order = k.order[:len(k.order)-1]
			k.lastSeq = kindLast
			tx.s.lastSeq--
		})
		return nil
	}

	oldData, oldTerms := r.data, r.terms
	r.data = data
	k.setTerms(id, r, terms)
	tx.undo = append(tx.undo, func() {
		r.data = oldData
		k.setTerms(id, r, oldTerms)
	})
	return nil
}

func (tx *memTx) Delete(kind, id string) error {
	if err := tx.write(); err != nil {
		return err
	}
	k := tx.s.kinds[kind]
	if k == nil {
		return ErrNotFound
	}
	r := k.records[id]
	if r == nil {
		return ErrNotFound
	}
	terms := r.terms
	k.setTerms(id, r, nil)
	delete(k.records, id)
	k.dead++
	if tx.deleted == nil {
		tx.deleted = make(map[*memKind]bool)
	}
	tx.deleted[k] = true
	tx.undo = append(tx.undo, func() {
		k.records[id] = r
		k.setTerms(id, r, terms)
		k.dead--
	})
	return nil
}

func (tx *memTx) Scan(kind string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := tx.read(); err != nil {
		return err
	}
	k := tx.s.kinds[kind]
	if k == nil {
		return nil
	}
	return tx.scanOrder(k, 0, false, reverse, fn)
}

func (tx *memTx) ScanFrom(kind, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := tx.read(); err != nil {
		return err
	}
	k, seq, err := tx.from(kind, from)
	if err != nil {
		return err
	}
	return tx.scanOrder(k, seq, true, reverse, fn)
}

func (tx *memTx) ScanIndexFrom(kind, term, from string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := tx.read(); err != nil {
		return err
	}
	k, seq, err := tx.from(kind, from)
	if err != nil {
		return err
	}
	return tx.scanIndex(k, term, seq, true, reverse, fn)
}

// from returns the kind and the seq of its record from, or ErrNotFound.
func (tx *memTx) from(kind, from string) (*memKind, uint64, error) {
	k := tx.s.kinds[kind]
	if k == nil {
		return nil, 0, ErrNotFound
	}
	r := k.records[from]
	if r == nil {
		return nil, 0, ErrNotFound
	}
	return k, r.seq, nil
}

// scanOrder walks k's records in seq order, beside seq if seek.
func (tx *memTx) scanOrder(k *memKind, seq uint64, seek, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	// Walk the order as it is now: records fn adds are appended beyond n
	// and not visited; records it deletes fail the liveness check.
	order := k.order
	lo, hi := 0, len(order) // the entries to visit: order[lo:hi]
	if seek {
		at, found := slices.BinarySearchFunc(order, seq, cmpSeq)
		if reverse {
			hi = at
		} else {
			lo = at
			if found {
				lo++
			}
		}
	}
	n := hi - lo
	for i := range n {
		e := order[lo+i]
		if reverse {
			e = order[hi-1-i]
		}
		r := k.records[e.id]
		if r == nil || r.seq != e.seq {
			continue
		}
		data, err := tx.recordData(k, e.id, r)
		if err != nil {
			return err
		}
		more, err := fn(e.id, data)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func (tx *memTx) ScanIndex(kind, term string, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	if err := tx.read(); err != nil {
		return err
	}
	k := tx.s.kinds[kind]
	if k == nil {
		return nil
	}
	return tx.scanIndex(k, term, 0, false, reverse, fn)
}

// scanIndex walks the records of k carrying term in seq order, beside seq
// if seek.
func (tx *memTx) scanIndex(k *memKind, term string, seq uint64, seek, reverse bool, fn func(id string, data []byte) (bool, error)) error {
	// Records fn adds have a seq above limit and are not visited, as in Scan.
	limit := k.lastSeq
	list := k.index[term]
	i := 0
	if reverse {
		i = len(list) - 1
	}
	if seek {
		if reverse {
			j, _ := slices.BinarySearchFunc(list, seq, cmpSeq)
			i = j - 1
		} else {
			i, _ = slices.BinarySearchFunc(list, seq+1, cmpSeq)
		}
	}
	for i >= 0 && i < len(list) {
		e := list[i]
		if e.seq > limit {
			return nil // only reached going forward
		}
		writes := tx.writes
		data, err := tx.recordData(k, e.id, k.records[e.id])
		if err != nil {
			return err
		}
		more, err := fn(e.id, data)
		if err != nil || !more {
			return err
		}
		if tx.writes == writes {
			if reverse {
				i--
			} else {
				i++
			}
			continue
		}
		// fn wrote, so entries may have moved: find our place again by seq.
		list = k.index[term]
		if reverse {
			j, _ := slices.BinarySearchFunc(list, e.seq, cmpSeq)
			i = j - 1
		} else {
			i, _ = slices.BinarySearchFunc(list, e.seq+1, cmpSeq)
		}
	}
	return nil
}

func (tx *memTx) NextSequence(name string) (uint64, error) {
	if err := tx.write(); err != nil {
		return 0, err
	}
	if name == "" {
		return 0, errEmptyCounter
	}
	old, ok := tx.s.counters[name]
	tx.s.counters[name] = old + 1
	tx.undo = append(tx.undo, func() {
		if ok {
			tx.s.counters[name] = old
		} else {
			delete(tx.s.counters, name)
		}
	})
	return old + 1, nil
}

// memJob is a job in a timeline's heap.
type memJob struct {
	job       Job   // Due as returned by dueTime
	due       int64 // job.Due.UnixNano(), for cheap comparisons
	heapIndex int
}

type jobObject struct {
	kind, objectID string
}

// jobQueue is a heap of one timeline's jobs ordered by due time, then Seq.
type jobQueue []*memJob

func (q jobQueue) Len() int { return len(q) }

func (q jobQueue) Less(i, j int) bool {
	if q[i].due != q[j].due {
		return q[i].due < q[j].due
	}
	return q[i].job.Seq < q[j].job.Seq
}

func (q jobQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIndex = i
	q[j].heapIndex = j
}

func (q *jobQueue) Push(x any) {
	j := x.(*memJob)
	j.heapIndex = len(*q)
	*q = append(*q, j)
}

func (q *jobQueue) Pop() any {
	old := *q
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return j
}

func (s *memStore) insertJob(j *memJob) {
	q := s.queues[j.job.Timeline]
	if q == nil {
		q = new(jobQueue)
		s.queues[j.job.Timeline] = q
	}
	heap.Push(q, j)
	s.jobs[j.job.Seq] = j
	obj := jobObject{j.job.Kind, j.job.ObjectID}
	if s.jobsByObject[obj] == nil {
		s.jobsByObject[obj] = make(map[uint64]*memJob)
	}
	s.jobsByObject[obj][j.job.Seq] = j
}

func (s *memStore) removeJob(j *memJob) {
	q := s.queues[j.job.Timeline]
	heap.Remove(q, j.heapIndex)
	if q.Len() == 0 {
		delete(s.queues, j.job.Timeline)
	}
	delete(s.jobs, j.job.Seq)
	obj := jobObject{j.job.Kind, j.job.ObjectID}
	delete(s.jobsByObject[obj], j.job.Seq)
	if len(s.jobsByObject[obj]) == 0 {
		delete(s.jobsByObject, obj)
	}
}

func (tx *memTx) AddJob(j Job) (Job, error) {
	if err := tx.write(); err != nil {
		return Job{}, err
	}
	if err := checkJob(j); err != nil {
		return Job{}, err
	}
	s := tx.s
	s.jobSeq++
	j.Seq = s.jobSeq
	j.Due = dueTime(j.Due)
	mj := &memJob{job: j, due: j.Due.UnixNano()}
	s.insertJob(mj)
	tx.undo = append(tx.undo, func() {
		s.removeJob(mj)
		s.jobSeq--
	})
	return j, nil
}

func (tx *memTx) RemoveJob(j Job) error {
	if err := tx.write(); err != nil {
		return err
	}
	s := tx.s
	mj := s.jobs[j.Seq]
	if mj == nil || mj.job.Timeline != j.Timeline || !mj.job.Due.Equal(j.Due) {
		return nil
	}
	s.removeJob(mj)
	tx.undo = append(tx.undo, func() { s.insertJob(mj) })
	return nil
}

func (tx *memTx) RemoveJobs(kind, objectID string) error {
	if err := tx.write(); err != nil {
		return err
	}
	s := tx.s
	set := s.jobsByObject[jobObject{kind, objectID}]
	if len(set) == 0 {
		return nil
	}
	removed := make([]*memJob, 0, len(set))
	for _, mj := range set {
		removed = append(removed, mj)
	}
	for _, mj := range removed {
		s.removeJob(mj)
	}
	tx.undo = append(tx.undo, func() {
		for _, mj := range removed {
			s.insertJob(mj)
		}
	})
	return nil
}

func (tx *memTx) NextJob(timeline string) (Job, bool, error) {
	if err := tx.read(); err != nil {
		return Job{}, false, err
	}
	q := tx.s.queues[timeline]
	if q == nil || q.Len() == 0 {
		return Job{}, false, nil
	}
	return (*q)[0].job, true, nil
}

func (tx *memTx) Jobs() ([]Job, error) {
	if err := tx.read(); err != nil {
		return nil, err
	}
	if len(tx.s.jobs) == 0 {
		return nil, nil
	}
	jobs := make([]Job, 0, len(tx.s.jobs))
	for _, mj := range tx.s.jobs {
		jobs = append(jobs, mj.job)
	}
	slices.SortFunc(jobs, func(a, b Job) int {
		if c := cmp.Compare(a.Timeline, b.Timeline); c != 0 {
			return c
		}
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	return jobs, nil
}
