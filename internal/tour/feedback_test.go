package tour

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// complete moves the clock to the tour's end and lets the worker complete
// it, returning the tour.completed it published.
func (h *harness) complete(tr tour) {
	h.t.Helper()
	h.clock.Set(tr.EndsAt)
	if err := h.svc.Sweep(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	if got, err := h.store.Get(context.Background(), tr.ID); err != nil || got.Status != statusCompleted {
		h.t.Fatalf("tour %s after its end: %s %v", tr.ID, got.Status, err)
	}
}

// redeliverCompleted hands the service every tour.completed it published,
// as the bus does after a crash before the ack.
func (h *harness) redeliverCompleted() {
	h.t.Helper()
	for _, ev := range outboxtest.OfType(h.t, h.db, events.TypeTourCompleted) {
		if err := h.redeliver(ev); err != nil {
			h.t.Fatal(err)
		}
	}
}

// TestFeedbackRequestedOncePerPerson: a completed tour asks its customer
// and its realtor for feedback once each, however often tour.completed is
// delivered and across a restart, on both engines; a customer the realtor
// marked a no-show (after the start, before the end) is not asked.
func TestFeedbackRequestedOncePerPerson(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		h := newHarnessOn(t, open)
		start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
		came := h.book("cust-1", start)
		h.assign(came, "realtor-1")
		absent := h.book("cust-2", start)
		h.assign(absent, "realtor-2")

		if _, err := h.svc.MarkNoShow(ctx, absent.ID, as("realtor-2", auth.RoleRealtor)); !errors.Is(err, errNotStarted) {
			t.Fatalf("a no-show before the start = %v", err)
		}
		h.clock.Set(start.Add(10 * time.Minute))
		for _, p := range []auth.Principal{as("realtor-1", auth.RoleRealtor), as("cust-2", auth.RoleCustomer), as("realtor-2", auth.RoleCustomer)} {
			if _, err := h.svc.MarkNoShow(ctx, absent.ID, p); !errors.Is(err, errNotFound) {
				t.Fatalf("%s %s marked a no-show: %v", p.Role, p.ID, err)
			}
		}
		for range 2 {
			if _, err := h.svc.MarkNoShow(ctx, absent.ID, as("realtor-2", auth.RoleRealtor)); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(outboxtest.OfType(t, h.db, events.TypeNoShowMarked)); n != 1 {
			t.Fatalf("%d no_show.marked for one no-show marked twice", n)
		}

		h.complete(came)
		for range 2 {
			h.redeliverCompleted()
		}
		h.restart()
		h.redeliverCompleted()
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}

		type ask struct{ tour, user, role string }
		var got []ask
		for _, r := range outboxtest.Data[events.FeedbackRequested](t, h.db, events.TypeFeedbackRequested) {
			got = append(got, ask{r.TourID, r.UserID, r.Role})
		}
		want := []ask{{came.ID, "cust-1", "customer"}, {came.ID, "realtor-1", "realtor"}, {absent.ID, "realtor-2", "realtor"}}
		if len(got) != len(want) {
			t.Fatalf("feedback.requested %+v, want %+v", got, want)
		}
		for _, w := range want {
			n := 0
			for _, g := range got {
				if g == w {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%+v asked %d times, want once (all: %+v)", w, n, got)
			}
		}
		if _, asked, _, err := h.svc.MyFeedback(ctx, absent.ID, as("cust-2", auth.RoleCustomer)); err != nil || asked {
			t.Errorf("the no-show customer: asked %v, %v", asked, err)
		}
		if _, asked, _, err := h.svc.MyFeedback(ctx, came.ID, as("cust-1", auth.RoleCustomer)); err != nil || !asked {
			t.Errorf("the customer who came: asked %v, %v", asked, err)
		}
	})
}

// TestFeedbackPutTwiceOneRecord: the tour's customer and realtor each keep
// one feedback per home, once the tour ended: the same body twice is one
// record and one event, a new body replaces it; before the end 409
// (errNotEnded), anyone else or a home not on the route 404 (errNotFound),
// and the customer marked a no-show is refused.
func TestFeedbackPutTwiceOneRecord(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		h := newHarnessOn(t, open)
		start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
		tr := h.book("cust-1", start)
		h.assign(tr, "realtor-1")
		customer, realtor := as("cust-1", auth.RoleCustomer), as("realtor-1", auth.RoleRealtor)
		liked := opinion{Rating: 4, Interest: "high", PriceOpinion: "right", Comment: "  Bright kitchen\r\nsmall yard  "}

		h.clock.Set(tr.EndsAt.Add(-time.Second))
		if _, err := h.svc.PutFeedback(ctx, tr.ID, "l-1", customer, liked.Normalized()); !errors.Is(err, errNotEnded) {
			t.Fatalf("before the end = %v", err)
		}
		h.complete(tr)
		for _, p := range []auth.Principal{as("cust-2", auth.RoleCustomer), as("realtor-2", auth.RoleRealtor), as("prov-1", auth.RoleProvider),
			as("admin-1", auth.RoleAdmin), as("cust-1", auth.RoleRealtor)} {
			if _, err := h.svc.PutFeedback(ctx, tr.ID, "l-1", p, liked.Normalized()); !errors.Is(err, errNotFound) {
				t.Errorf("%s %s gave feedback: %v", p.Role, p.ID, err)
			}
		}
		if _, err := h.svc.PutFeedback(ctx, tr.ID, "l-9", customer, liked.Normalized()); !errors.Is(err, errNotFound) {
			t.Errorf("a home not on the route: %v", err)
		}

		var first feedback
		for i := range 2 {
			f, err := h.svc.PutFeedback(ctx, tr.ID, "l-1", customer, liked.Normalized())
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = f
			}
			h.clock.Advance(time.Minute)
		}
		if first.Comment != "Bright kitchen\nsmall yard" || first.Party != partyCustomer {
			t.Fatalf("stored %+v", first)
		}
		mine, err := h.store.Feedback(ctx, tr.ID, "cust-1")
		if err != nil || len(mine) != 1 || mine[0] != first {
			t.Fatalf("after the same body twice: %+v %v", mine, err)
		}
		if n := len(outboxtest.OfType(t, h.db, events.TypeFeedbackSubmitted)); n != 1 {
			t.Fatalf("%d feedback.submitted for the same body twice", n)
		}

		changed := opinion{Rating: 2, Interest: "low", PriceOpinion: "high"}
		if _, err := h.svc.PutFeedback(ctx, tr.ID, "l-1", customer, changed); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.PutFeedback(ctx, tr.ID, "l-1", realtor, opinion{Rating: 5, Comment: "Buyers keen"}); err != nil {
			t.Fatal(err)
		}
		all, err := h.store.Feedback(ctx, tr.ID, "")
		if err != nil || len(all) != 2 {
			t.Fatalf("feedback %+v %v", all, err)
		}
		for _, f := range all {
			if f.AuthorID == "cust-1" && (f.opinion != changed || !f.CreatedAt.Equal(first.CreatedAt) || !f.UpdatedAt.After(first.UpdatedAt)) {
				t.Errorf("the customer's replaced feedback: %+v", f)
			}
		}
		submitted := outboxtest.Data[events.FeedbackSubmitted](t, h.db, events.TypeFeedbackSubmitted)
		if len(submitted) != 3 || submitted[1].Rating != 2 || submitted[1].AuthorRole != "customer" || submitted[1].ProviderID != "prov-1" ||
			submitted[2].AuthorRole != "realtor" {
			t.Fatalf("feedback.submitted = %+v", submitted)
		}

		// Marked a no-show after the end: the customer may no longer.
		if _, err := h.svc.MarkNoShow(ctx, tr.ID, realtor); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.PutFeedback(ctx, tr.ID, "l-1", customer, liked.Normalized()); !errors.Is(err, errNoShow) {
			t.Fatalf("a no-show customer's feedback = %v", err)
		}
	})
}

// TestOpinionRules: the contract's bounds, field by field.
func TestOpinionRules(t *testing.T) {
	for _, tc := range []struct {
		o     opinion
		field string
	}{
		{opinion{Rating: 1}, ""},
		{opinion{Rating: 5, Interest: "none", PriceOpinion: "low", Comment: "ok"}, ""},
		{opinion{Rating: 0}, "rating"},
		{opinion{Rating: 6}, "rating"},
		{opinion{Rating: 3, Interest: "huge"}, "interest"},
		{opinion{Rating: 3, PriceOpinion: "cheap"}, "price_opinion"},
		{opinion{Rating: 3, Comment: "a\u202Eb"}, "comment"},
		{opinion{Rating: 3, Comment: string(make([]byte, maxCommentLen+1))}, "comment"},
	} {
		errs := tc.o.Normalized().Validate()
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%+v: %v", tc.o, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field):
			t.Errorf("%+v: %v, want one error on %s", tc.o, errs, tc.field)
		}
	}
}
