package resources

import (
	"cmp"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/store"
)

// sequence reads back the counter an ID was made from, for any seed, and
// refuses strings Format did not make.
func TestIDSequence(t *testing.T) {
	for _, seed := range []uint64{0, 7, 1<<64 - 1} {
		g := NewIDs(seed)
		for _, n := range []uint64{1, 2, 61, 62, 1000, 1 << 40, 1<<64 - 1} {
			for _, prefix := range []string{"evt", "cus", "whatever"} {
				if got, ok := g.sequence(prefix, g.Format(prefix, n)); !ok || got != n {
					t.Errorf("seed %d %s %d: got %d %v", seed, prefix, n, got, ok)
				}
			}
		}
		id := g.Format("evt", 5)
		for _, bad := range []string{"", "evt_", "cus" + id[3:], id[:len(id)-1], id[:len(id)-1] + "!", id + "0", "evt_" + id[4:14] + "-" + id[15:]} {
			if _, ok := g.sequence("evt", bad); ok {
				t.Errorf("seed %d: %q read as an ID", seed, bad)
			}
		}
	}
	for _, x := range []uint64{0, 1, 0xdeadbeef, 1<<64 - 1} {
		if unmix(mix(x)) != x {
			t.Errorf("unmix(mix(%#x)) = %#x", x, unmix(mix(x)))
		}
	}
}

// Merging the timelines gives the pages sorting gives, for random
// interleavings of four timelines (ties within and between them), every
// cursor, both directions, and a type filter, on both stores.
func TestEventMergeMatchesSort(t *testing.T) {
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, st := range []store.Store{store.NewMemory(), openTestBolt(t)} {
		for round := range 6 {
			if err := store.Clear(st); err != nil {
				t.Fatal(err)
			}
			e := NewEngine(st, clockwork.NewTime(clockwork.NewFrozen(now)), Config{Seed: uint64(round) * 977})
			rng := rand.New(rand.NewPCG(uint64(round), 1))
			timelines := []string{"", "clock_a", "clock_b", "clock_c"}
			at := map[string]int64{}
			for _, tl := range timelines {
				at[tl] = now.Unix() - int64(rng.IntN(8))
			}
			types := []string{"customer.created", "customer.updated", "invoice.paid"}
			var written []*Event
			err := e.Do(func(c *Ctx) error {
				for range 40 + rng.IntN(40) {
					tl := timelines[rng.IntN(len(timelines))]
					at[tl] += int64(rng.IntN(3))
					c.timeline, c.now = tl, time.Unix(at[tl], 0)
					id, err := c.NewID("evt")
					if err != nil {
						return err
					}
					ev := &Event{ID: id, Object: "event", APIVersion: DefaultAPIVersion, Created: at[tl],
						Type: types[rng.IntN(len(types))], Timeline: tl, Data: EventData{Object: json.RawMessage(`{"id":"x"}`)}}
					if err := noteEventTimeline(c, ev); err != nil {
						return err
					}
					if err := c.save(kindEvent, id, ev, eventTerms(ev)...); err != nil {
						return err
					}
					written = append(written, ev)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The model: newest written first, then by created.
			order := slices.Clone(written)
			slices.Reverse(order)
			slices.SortStableFunc(order, func(a, b *Event) int { return cmp.Compare(b.Created, a.Created) })
			for _, how := range []string{"merged", "sorted"} {
				if how == "sorted" {
					if err := st.Update(func(tx store.Tx) error { return tx.Delete(kindEventTimelines, eventsTermed) }); err != nil {
						t.Fatal(err)
					}
				}
				got, err := EventListing(st, uint64(round)*977)
				if err != nil || got != how {
					t.Fatalf("listing %s %v, want %s", got, err, how)
				}
				for _, n := range []int{1, 3} {
					mid := order[len(order)/2].Created
					filters := []struct {
						params map[string]any
						keep   func(*Event) bool
					}{
						{map[string]any{}, func(*Event) bool { return true }},
						{map[string]any{"type": "invoice.paid"}, func(ev *Event) bool { return ev.Type == "invoice.paid" }},
						{map[string]any{"created": map[string]any{"gte": strconv.FormatInt(mid-1, 10), "lt": strconv.FormatInt(mid+2, 10)}},
							func(ev *Event) bool { return ev.Created >= mid-1 && ev.Created < mid+2 }},
					}
					for _, fl := range filters {
						for i := -1; i < len(order); i++ {
							for _, back := range []bool{false, true} {
								if i < 0 && back {
									continue
								}
								params := maps.Clone(fl.params)
								params["limit"] = strconv.Itoa(n)
								var page []string
								var more bool
								if i >= 0 && !back {
									params["starting_after"] = order[i].ID
								}
								if back {
									params["ending_before"] = order[i].ID
									for j := i - 1; j >= 0 && len(page) <= n; j-- {
										if fl.keep(order[j]) {
											page = append(page, order[j].ID)
										}
									}
									more = len(page) > n
									page = page[:min(n, len(page))]
									slices.Reverse(page)
								} else {
									for j := i + 1; j < len(order) && len(page) <= n; j++ {
										if fl.keep(order[j]) {
											page = append(page, order[j].ID)
										}
									}
									more = len(page) > n
									page = page[:min(n, len(page))]
								}
								ids, hasMore := listEventsFor(t, e, params)
								if !slices.Equal(ids, page) || hasMore != more {
									t.Fatalf("round %d %s %v: got %v %v, want %v %v", round, how, params, ids, hasMore, page, more)
								}
							}
						}
					}
				}
			}
		}
	}
}

func openTestBolt(t *testing.T) store.Store {
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "events.db"), store.BoltNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func listEventsFor(t *testing.T, e *Engine, params map[string]any) ([]string, bool) {
	t.Helper()
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	err := e.View(func(c *Ctx) error {
		c.Params = NewParams(params)
		out, err := listEvents(c)
		if err != nil {
			return err
		}
		return json.Unmarshal(out.(json.RawMessage), &page)
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(page.Data))
	for i, d := range page.Data {
		ids[i] = d.ID
	}
	return ids, page.HasMore
}
