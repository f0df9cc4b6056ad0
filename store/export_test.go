package store

// BoltPages returns how many pages the write transactions of s, a store
// made by OpenBolt, have written since it was opened: bbolt's
// TxStats.PageCount, counting each page of a large node.
func BoltPages(s Store) int64 {
	stats := s.(*boltStore).db.Stats()
	return stats.TxStats.GetPageCount()
}
