package notification

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

func newStore(t *testing.T, open storetest.Opener) (*SQLStore, func(*testing.T) *SQLStore) {
	t.Helper()
	db := openDB(t, open)
	st, err := NewSQLStore(context.Background(), db, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	second := func(t *testing.T) *SQLStore {
		other, err := NewSQLStore(context.Background(), reopen(t, db), func() time.Time { return t0 })
		if err != nil {
			t.Fatal(err)
		}
		return other
	}
	return st, second
}

// notice is a notification of user about tour, made at at.
func notice(id, user, tour string, at time.Time) notification {
	return notification{ID: id, UserID: user, Kind: kindTourScheduled, TourID: tour,
		Channel: channelInbox, Subject: "s " + id, Body: "b " + id, SendAt: at, SentAt: at}
}

func noop(context.Context, view) (changes, error) {
	return changes{At: t0}, nil
}

// TestStoreContract is the behaviour the notification store must show on
// every engine.
func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		t.Run("contacts: newest news wins, each event once", func(t *testing.T) {
			st, _ := newStore(t, open)
			apply := func(eventID string, u contactUpdate) {
				t.Helper()
				if err := st.UpdateContact(ctx, eventID, u.UserID, func(c *contact) { *c = c.Apply(u) }); err != nil {
					t.Fatal(err)
				}
			}
			apply("e2", contactUpdate{UserID: "u", Name: ptr("New"), Email: ptr("new@example.com"), At: t0.Add(time.Hour)})
			apply("e1", contactUpdate{UserID: "u", Name: ptr("Old"), Email: ptr("old@example.com"), Role: "realtor", At: t0})
			apply("e3", contactUpdate{UserID: "u", TimeZone: ptr("Europe/Paris"), At: t0.Add(time.Minute)})
			c, err := st.Contact(ctx, "u")
			if err != nil || c.Name != "New" || c.Email != "new@example.com" || c.Role != "realtor" || c.TimeZone != "Europe/Paris" ||
				!c.NameAt.Equal(t0.Add(time.Hour)) || !c.TimeZoneAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("contact = %+v, %v", c, err)
			}
			// A redelivered event id is not applied again, even with a newer time.
			apply("e3", contactUpdate{UserID: "u", TimeZone: ptr("Asia/Tokyo"), At: t0.Add(2 * time.Hour)})
			if c, _ := st.Contact(ctx, "u"); c.TimeZone != "Europe/Paris" {
				t.Fatalf("a redelivered event was applied: %q", c.TimeZone)
			}
			if c, err := st.Contact(ctx, "nobody"); err != nil || c.UserID != "nobody" || c.Email != "" {
				t.Fatalf("unknown contact = %+v, %v", c, err)
			}
		})

		t.Run("apply: once per event, tour snapshots never go back", func(t *testing.T) {
			st, _ := newStore(t, open)
			calls := 0
			write := func(eventID string, tr events.Tour, n notification) {
				t.Helper()
				err := st.Apply(ctx, eventID, "tour:"+tr.TourID, func(ctx context.Context, v view) (changes, error) {
					calls++
					return changes{Tour: &tr, CancelBefore: tr.Version, At: t0,
						Notifications: []notification{n},
						Sent:          []events.NotificationSent{{NotificationID: n.ID, UserID: n.UserID, Kind: string(n.Kind), TourID: tr.TourID, Channel: "inbox", SentAt: t0}},
						Reminders: []reminder{{ID: "r-" + eventID, TourID: tr.TourID, TourVersion: tr.Version, UserID: n.UserID,
							Role: roleCustomer, Offset: time.Hour, DueAt: tr.ScheduledAt.Add(-time.Hour)}}}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			v3 := tour("t", "c", "r", 3, tourStart)
			write("ev-3", v3, notice("n1", "c", "t", t0))
			write("ev-3", v3, notice("n1-again", "c", "t", t0)) // redelivery
			if calls != 1 {
				t.Fatalf("plan ran %d times for one event", calls)
			}
			v2 := tour("t", "c", "r", 2, tourStart.Add(time.Hour))
			write("ev-2", v2, notice("n2", "c", "t", t0.Add(time.Second)))
			var seen events.Tour
			if err := st.Apply(ctx, "ev-read", "tour:t", func(ctx context.Context, v view) (changes, error) {
				tr, ok, err := v.Tour(ctx, "t")
				if !ok || err != nil {
					return changes{}, fmt.Errorf("tour not found: %v", err)
				}
				seen = tr
				return changes{At: t0}, nil
			}); err != nil {
				t.Fatal(err)
			}
			if seen.Version != 3 || !seen.ScheduledAt.Equal(tourStart) || len(seen.Stops) != 2 {
				t.Fatalf("snapshot after an older version = %+v", seen)
			}
			if items := inbox(t, st, "c"); len(items) != 2 {
				t.Fatalf("inbox has %d items, want 2", len(items))
			}
			// ev-2 (version 2) cancelled nothing older than itself and left
			// v3's reminder alone.
			states := reminderStates(t, st, "t")
			if states["c/v3/1h0m0s"] != reminderPending || states["c/v2/1h0m0s"] != reminderPending {
				t.Fatalf("reminders %v", states)
			}
			// A later version cancels the pending reminders of older ones.
			v4 := tour("t", "c", "r", 4, tourStart)
			if err := st.Apply(ctx, "ev-4", "tour:t", func(context.Context, view) (changes, error) {
				return changes{Tour: &v4, CancelBefore: 4, At: t0}, nil
			}); err != nil {
				t.Fatal(err)
			}
			states = reminderStates(t, st, "t")
			if states["c/v3/1h0m0s"] != reminderCancelled || states["c/v2/1h0m0s"] != reminderCancelled {
				t.Fatalf("reminders after v4 %v", states)
			}
			// A failing plan writes nothing and leaves the event unapplied.
			boom := errors.New("boom")
			if err := st.Apply(ctx, "ev-5", "tour:t", func(context.Context, view) (changes, error) {
				return changes{}, boom
			}); !errors.Is(err, boom) {
				t.Fatalf("Apply = %v, want boom", err)
			}
			if err := st.Apply(ctx, "ev-5", "tour:t", noop); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("reminders: each decided once by concurrent firers, in due order", func(t *testing.T) {
			st, second := newStore(t, open)
			other := second(t)
			const n = 40
			var rs []reminder
			for i := range n {
				rs = append(rs, reminder{ID: fmt.Sprintf("r%02d", i), TourID: "t", TourVersion: 1, UserID: fmt.Sprint("u", i),
					Role: roleCustomer, Offset: time.Hour, DueAt: t0.Add(time.Duration(i) * time.Second)})
			}
			// One not due yet.
			rs = append(rs, reminder{ID: "later", TourID: "t", TourVersion: 1, UserID: "x", Role: roleCustomer,
				Offset: time.Minute, DueAt: t0.Add(time.Hour)})
			if err := st.Apply(ctx, "set", "tour:t", func(context.Context, view) (changes, error) {
				return changes{Reminders: rs, At: t0}, nil
			}); err != nil {
				t.Fatal(err)
			}
			if next, ok, err := st.NextDue(ctx); err != nil || !ok || !next.Equal(t0) {
				t.Fatalf("NextDue = %v %v %v", next, ok, err)
			}
			now := t0.Add(n * time.Second)
			var mu sync.Mutex
			decided := map[string]int{}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 8 {
				s := st
				if w%2 == 1 {
					s = other
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var last time.Time
					for {
						found, err := s.FireNext(ctx, now, func(_ context.Context, _ view, r reminder) (reminderState, changes, error) {
							if r.DueAt.Before(last) {
								return "", changes{}, fmt.Errorf("%s due %v claimed after %v", r.ID, r.DueAt, last)
							}
							last = r.DueAt
							mu.Lock()
							decided[r.ID]++
							mu.Unlock()
							n := notice("n-"+r.ID, r.UserID, r.TourID, now)
							return reminderSent, changes{Notifications: []notification{n}, At: now}, nil
						})
						if err != nil {
							errs <- err
							return
						}
						if !found {
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			// A firer that lost a race may have decided a reminder whose
			// write then rolled back; what counts is what committed.
			for _, r := range rs[:n] {
				if got := count(t, st, r.UserID, kindTourScheduled, "t"); got != 1 {
					t.Fatalf("reminder %s produced %d notifications", r.ID, got)
				}
			}
			states := reminderStates(t, st, "t")
			if states["x/v1/1m0s"] != reminderPending {
				t.Fatalf("the reminder not yet due was fired: %v", states)
			}
			if next, ok, err := st.NextDue(ctx); err != nil || !ok || !next.Equal(t0.Add(time.Hour)) {
				t.Fatalf("NextDue after firing = %v %v %v", next, ok, err)
			}
			if len(decided) != n {
				t.Fatalf("%d reminders decided, want %d", len(decided), n)
			}
			// A failed reminder stops blocking.
			if err := st.FailReminder(ctx, "later", t0); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := st.NextDue(ctx); ok {
				t.Fatal("a failed reminder is still due")
			}
		})

		t.Run("deliveries: claimed once, leased, outcome only by the claim holder", func(t *testing.T) {
			st, second := newStore(t, open)
			other := second(t)
			n := notice("n", "u", "t", t0)
			var ds []delivery
			for i := range 10 {
				ds = append(ds, delivery{ID: fmt.Sprint("d", i), NotificationID: "n", UserID: "u", Channel: channelWebhook,
					Kind: n.Kind, TourID: "t", Payload: []byte(`{"i":` + fmt.Sprint(i) + `}`), NextAttemptAt: t0})
			}
			if err := st.Apply(ctx, "e", "n", func(context.Context, view) (changes, error) {
				return changes{Notifications: []notification{n}, Deliveries: ds, At: t0}, nil
			}); err != nil {
				t.Fatal(err)
			}
			lease := t0.Add(time.Minute)
			var mu sync.Mutex
			claimed := map[string]delivery{}
			var wg sync.WaitGroup
			for w := range 6 {
				s := st
				if w%2 == 1 {
					s = other
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := s.ClaimDeliveries(ctx, t0, lease, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					for _, d := range got {
						if _, dup := claimed[d.ID]; dup {
							t.Errorf("delivery %s claimed twice", d.ID)
						}
						claimed[d.ID] = d
					}
				}()
			}
			wg.Wait()
			if len(claimed) != 10 {
				t.Fatalf("%d deliveries claimed, want 10", len(claimed))
			}
			d0 := claimed["d0"]
			if d0.Attempts != 1 || string(d0.Payload) != `{"i":0}` || d0.Claim == "" {
				t.Fatalf("claimed delivery %+v", d0)
			}
			if again, err := st.ClaimDeliveries(ctx, t0.Add(30*time.Second), lease, 100); err != nil || len(again) != 0 {
				t.Fatalf("claimed %d leased deliveries, %v", len(again), err)
			}
			// The lease runs out: another poller takes d0 over; the first
			// one's late outcome is not recorded.
			over, err := other.ClaimDeliveries(ctx, lease, lease.Add(time.Minute), 1)
			if err != nil || len(over) != 1 || over[0].Attempts != 2 {
				t.Fatalf("take-over = %+v, %v", over, err)
			}
			late := claimed[over[0].ID]
			sentEv := events.NotificationSent{NotificationID: "n", UserID: "u", Kind: string(n.Kind), TourID: "t", Channel: "webhook", SentAt: lease}
			if ok, err := st.FinishDelivery(ctx, late, deliveryOutcome{State: deliveryDelivered, At: lease, Sent: &sentEv}); err != nil || ok {
				t.Fatalf("a lost claim recorded its outcome: %v %v", ok, err)
			}
			if ok, err := other.FinishDelivery(ctx, over[0], deliveryOutcome{State: deliveryDelivered, At: lease, Sent: &sentEv}); err != nil || !ok {
				t.Fatalf("the holder could not record: %v %v", ok, err)
			}
			// Retry and give up.
			d1 := claimed["d1"]
			if ok, err := st.FinishDelivery(ctx, d1, deliveryOutcome{State: deliveryPending, NextAttemptAt: t0.Add(10 * time.Minute), Error: "503", At: t0}); err != nil || !ok {
				t.Fatal(ok, err)
			}
			d2 := claimed["d2"]
			if ok, err := st.FinishDelivery(ctx, d2, deliveryOutcome{State: deliveryFailed, Error: "gave up", At: t0}); err != nil || !ok {
				t.Fatal(ok, err)
			}
			items := inbox(t, st, "u")
			if len(items) != 1 || len(items[0].Deliveries) != 10 {
				t.Fatalf("inbox = %+v", items)
			}
			byID := map[string]delivery{}
			for _, d := range items[0].Deliveries {
				byID[d.ID] = d
			}
			if d := byID[over[0].ID]; d.State != deliveryDelivered || d.Attempts != 2 || !d.DeliveredAt.Equal(lease) {
				t.Fatalf("delivered: %+v", d)
			}
			if d := byID["d1"]; d.State != deliveryPending || d.LastError != "503" || !d.NextAttemptAt.Equal(t0.Add(10*time.Minute)) {
				t.Fatalf("retrying: %+v", d)
			}
			if d := byID["d2"]; d.State != deliveryFailed || d.LastError != "gave up" {
				t.Fatalf("failed: %+v", d)
			}
			if got := sent(t, st.DB()); len(got) != 1 || got[0].Channel != "webhook" {
				t.Fatalf("events %+v, want the one delivery", got)
			}
		})

		t.Run("inbox: own items only, newest first, pages, read marks", func(t *testing.T) {
			st, _ := newStore(t, open)
			var ns []notification
			for i := range 25 {
				// Pairs share a timestamp, so the id breaks ties.
				ns = append(ns, notice(fmt.Sprintf("n%02d", i), "me", "t", t0.Add(time.Duration(i/2)*time.Second)))
			}
			ns = append(ns, notice("theirs", "them", "t", t0.Add(time.Hour)))
			if err := st.Apply(ctx, "e", "x", func(context.Context, view) (changes, error) {
				return changes{Notifications: ns, At: t0}, nil
			}); err != nil {
				t.Fatal(err)
			}
			var got []string
			var after *inboxPage
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("too many pages")
				}
				page, err := st.Notifications(ctx, "me", after, 10)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range page {
					got = append(got, n.ID)
				}
				if len(page) < 10 {
					break
				}
				last := page[len(page)-1]
				after = &inboxPage{SentAt: last.SentAt, ID: last.ID}
			}
			if len(got) != 25 || got[0] != "n24" || got[1] != "n23" || got[24] != "n00" {
				t.Fatalf("pages = %v", got)
			}
			for i := 1; i < len(got); i++ {
				if got[i] >= got[i-1] {
					t.Fatalf("not newest first at %d: %v", i, got)
				}
			}
			if _, err := st.MarkRead(ctx, "me", "theirs", t0); !errors.Is(err, errNotFound) {
				t.Fatalf("marking another user's item = %v, want ErrNotFound", err)
			}
			n, err := st.MarkRead(ctx, "me", "n03", t0.Add(time.Minute))
			if err != nil || !n.ReadAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("MarkRead = %+v, %v", n, err)
			}
			if n, _ := st.MarkRead(ctx, "me", "n03", t0.Add(time.Hour)); !n.ReadAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("a second read moved read_at to %v", n.ReadAt)
			}
			if theirs := inbox(t, st, "them"); len(theirs) != 1 || !theirs[0].ReadAt.IsZero() {
				t.Fatalf("their inbox = %+v", theirs)
			}
		})

		t.Run("webhooks: put replaces, delete removes", func(t *testing.T) {
			st, _ := newStore(t, open)
			if _, err := st.Webhook(ctx, "u"); !errors.Is(err, errNoWebhook) {
				t.Fatalf("Webhook before any = %v", err)
			}
			w, err := st.PutWebhook(ctx, webhook{UserID: "u", URL: "https://a.example/", Secret: "0123456789abcdef", UpdatedAt: t0})
			if err != nil || w.URL != "https://a.example/" || !w.CreatedAt.Equal(t0) {
				t.Fatalf("put = %+v, %v", w, err)
			}
			w, err = st.PutWebhook(ctx, webhook{UserID: "u", URL: "https://b.example/", Secret: "fedcba9876543210", UpdatedAt: t0.Add(time.Hour)})
			if err != nil || w.URL != "https://b.example/" || w.Secret != "fedcba9876543210" || !w.CreatedAt.Equal(t0) || !w.UpdatedAt.Equal(t0.Add(time.Hour)) {
				t.Fatalf("replace = %+v, %v", w, err)
			}
			if err := st.DeleteWebhook(ctx, "u"); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteWebhook(ctx, "u"); !errors.Is(err, errNoWebhook) {
				t.Fatalf("second delete = %v", err)
			}
		})
	})
}

// TestIdleRoundCommitsNothing: a poll round with nothing due must not
// commit, because every commit wakes the poller again: a commit on an idle
// round once kept an idle process busy on more than a core.
func TestIdleRoundCommitsNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := openDB(t, open)
		st, err := NewSQLStore(context.Background(), db, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		var commits atomic.Int32
		db.AfterCommit(func() { commits.Add(1) })
		fired, err := st.FireNext(context.Background(), time.Now(), func(context.Context, view, reminder) (reminderState, changes, error) {
			t.Fatal("decide called with nothing due")
			return "", changes{}, nil
		})
		if err != nil || fired {
			t.Fatalf("FireNext on nothing = %v, %v", fired, err)
		}
		if _, err := st.ClaimDeliveries(context.Background(), time.Now(), time.Now().Add(time.Minute), 10); err != nil {
			t.Fatal(err)
		}
		if n := commits.Load(); n != 0 {
			t.Fatalf("an idle round committed %d times (each commit wakes the poller)", n)
		}
	})
}
