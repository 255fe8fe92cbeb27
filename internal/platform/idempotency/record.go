package idempotency

import (
	"net/http"
	"strconv"
	"time"
)

// Record is a stored idempotency key.
type Record struct {
	Scope       string
	Key         string
	RequestHash string
	// ResourceID is what the first request made (a payment, a refund, a
	// checkout's order).
	ResourceID string
	// LeaseUntil: until then the request that holds the key is presumed
	// alive; past it, a repeat may take the key over. Zero once answered.
	LeaseUntil  time.Time
	Answer      *Answer // nil until the first request finished
	CreatedAt   time.Time
	CompletedAt time.Time
}

// Answer is an HTTP answer recorded for replay.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
	// Location is sent with the answer and not stored: the service derives
	// it from the resource.
	Location string
	// Replayed marks an answer read back from the record.
	Replayed bool
}

// Verdict is what a request may do with the record of its key.
type Verdict int

const (
	// Replay: the record holds the answer; send it (Replayed is set).
	Replay Verdict = iota + 1
	// Busy: another request holds the key; wait (Waiter) and look again.
	Busy
	// Resume: the holder's lease ran out; this request takes the key over
	// (Record.Lease, then the store's Save) and resumes the work.
	Resume
)

// Decide says what a request whose meaning hashes to hash may do with r at
// now: ErrKeyReused when r was made by another request, otherwise replay,
// wait, or resume (a Replay marks r.Answer Replayed; nothing is stored).
// The caller decides inside the transaction that read r (locked), so two
// requests never both resume.
func (r *Record) Decide(hash string, now time.Time) (Verdict, error) {
	switch {
	case r.RequestHash != hash:
		return 0, ErrKeyReused
	case r.Answer != nil:
		r.Answer.Replayed = true
		return Replay, nil
	case r.LeaseUntil.After(now):
		return Busy, nil
	}
	return Resume, nil
}

// Lease gives the key to the caller until until.
func (r *Record) Lease(until time.Time) { r.LeaseUntil = until.UTC() }

// Release ends the holder's lease at now (its outcome is unknown: a peer
// did not answer), so a retry resumes at once instead of waiting. An
// answered record is left as it is.
func (r *Record) Release(now time.Time) {
	if r.Answer == nil {
		r.LeaseUntil = now.UTC()
	}
}

// Complete records the answer a; the lease ends.
func (r *Record) Complete(a Answer, now time.Time) {
	a.Replayed, a.Location = false, ""
	r.Answer = &a
	r.LeaseUntil = time.Time{}
	r.CompletedAt = now.UTC()
}

// Write sends a with its headers: Content-Type, Content-Length, Location
// when set, Idempotent-Replayed on a replay, and Cache-Control: no-store
// (an answer is for its request only).
func Write(w http.ResponseWriter, a Answer) {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(a.Body)))
	h.Set("Cache-Control", "no-store")
	if a.Location != "" {
		h.Set("Location", a.Location)
	}
	if a.Replayed {
		h.Set(ReplayedHeader, "true")
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}
