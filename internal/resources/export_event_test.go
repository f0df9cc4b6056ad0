package resources

import (
	"errors"
	"regexp"
	"strconv"

	"github.com/stripefake/stripefake/store"
)

// EventListing says how GET /v1/events is answered over st for a fake
// whose IDs have seed: "in order", "merged" or "sorted".
func EventListing(st store.Store, seed uint64) (string, error) {
	e := &Engine{store: st, ids: NewIDs(seed)}
	var how eventListing
	err := st.View(func(tx store.Tx) error {
		var err error
		how, err = eventListingOf(&Ctx{e: e, tx: tx})
		return err
	})
	return [...]string{eventsInOrder: "in order", eventsMerged: "merged", eventsSorted: "sorted"}[how], err
}

var timelineMember = regexp.MustCompile(`,"_timeline":"[^"]*"`)

// ForgetEventTimelines makes st's events look written by code older than
// timeline terms: no terms, no _timeline, no timeline records, and no
// marker saying the events carry terms (the "mixed" marker stays, as
// older code wrote it).
func ForgetEventTimelines(st store.Store) error {
	return st.Update(func(tx store.Tx) error {
		err := tx.Scan(kindEvent, false, func(id string, raw []byte) (bool, error) {
			return true, tx.Put(kindEvent, id, timelineMember.ReplaceAll(raw, nil))
		})
		if err != nil {
			return err
		}
		var clocks []string
		if err := tx.Scan(kindEventTimeline, false, func(id string, _ []byte) (bool, error) {
			clocks = append(clocks, id)
			return true, nil
		}); err != nil {
			return err
		}
		for _, id := range clocks {
			if err := tx.Delete(kindEventTimeline, id); err != nil {
				return err
			}
		}
		if err := tx.Delete(kindEventTimelines, eventsTermed); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
}

// MoveEventTimeline records that test clock id's latest event was
// created at created, so that its next event may break created order.
func MoveEventTimeline(st store.Store, id string, created int64) error {
	return st.Update(func(tx store.Tx) error {
		return tx.Put(kindEventTimeline, id, strconv.AppendInt(nil, created, 10))
	})
}
