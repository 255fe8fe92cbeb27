package payment

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
)

// paymentView is a payment as the API shows it. The idempotency key stays
// private: it is the caller's.
type paymentView struct {
	ID            string       `json:"id" example:"5b1e8f0a-4c7d-4b8e-9f3a-2d6c7e8f9a0b"`
	OrderID       string       `json:"order_id" example:"ord-3f2a"`
	CustomerID    string       `json:"customer_id"`
	Amount        events.Money `json:"amount"`
	Refunded      events.Money `json:"refunded" doc:"Refunded so far."`
	Status        status       `json:"status" enum:"pending,succeeded,failed,refunded,partially_refunded"`
	PaymentMethod string       `json:"payment_method" example:"tok_visa"`
	GatewayRef    string       `json:"gateway_ref,omitempty" doc:"The gateway's id of the charge."`
	FailureReason string       `json:"failure_reason,omitempty" doc:"Failed payments: the decline code." example:"card_declined"`
	ListingIDs    []string     `json:"listing_ids"`
	ScheduledAt   time.Time    `json:"scheduled_at"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

func viewOf(p payment) paymentView {
	listings := p.ListingIDs
	if listings == nil {
		listings = []string{}
	}
	return paymentView{ID: p.ID, OrderID: p.OrderID, CustomerID: p.CustomerID, Amount: p.Amount, Refunded: p.Refunded,
		Status: p.Status, PaymentMethod: p.Method, GatewayRef: p.GatewayRef, FailureReason: p.FailureReason,
		ListingIDs: listings, ScheduledAt: p.ScheduledAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// paymentProblem is a problem about one payment: RFC 9457 with extension
// members naming it, so the cart can show the declined payment.
type paymentProblem struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Detail      string `json:"detail"`
	Instance    string `json:"instance"`
	PaymentID   string `json:"payment_id" doc:"The payment the problem is about."`
	DeclineCode string `json:"decline_code,omitempty" doc:"A decline: the gateway's code." example:"card_declined"`
	RefundID    string `json:"refund_id,omitempty" doc:"A refused refund: its id."`
	// Refunded and PendingRefunds come with a refund that exceeds what is
	// left: what was already returned, and what is on its way.
	Refunded       *events.Money `json:"refunded,omitempty" doc:"An over-refund: what was already returned."`
	PendingRefunds *events.Money `json:"pending_refunds,omitempty" doc:"An over-refund: what is on its way back."`
}

func jsonAnswer(status int, v any) recordedAnswer {
	body, err := json.Marshal(v)
	if err != nil {
		// Views hold only strings, numbers and times.
		panic("payment: encode answer: " + err.Error())
	}
	return recordedAnswer{Status: status, ContentType: "application/json", Body: append(body, '\n')}
}

func problemAnswer(p paymentProblem) recordedAnswer {
	a := jsonAnswer(p.Status, p)
	a.ContentType = httpapi.ProblemContentType
	return a
}

// chargeAnswer is the answer POST /payments records for a settled payment.
func (s *Service) chargeAnswer(p payment) recordedAnswer {
	switch p.Status {
	case statusFailed:
		pr := paymentProblem{Status: http.StatusPaymentRequired, Type: httpapi.TypePaymentRequired,
			Title: http.StatusText(http.StatusPaymentRequired), Instance: "/payments", PaymentID: p.ID,
			Detail: "the payment was declined", DeclineCode: p.FailureReason}
		switch p.FailureReason {
		case reasonInvalidMethod:
			pr.Status, pr.Type, pr.Title, pr.DeclineCode = http.StatusUnprocessableEntity, httpapi.TypeUnprocessable, "Unprocessable Entity", ""
			pr.Detail = "the payment method is not accepted; in the sandbox use tok_visa or tok_chargeDeclined"
		case reasonRejected:
			pr.Status, pr.Type, pr.Title, pr.DeclineCode = http.StatusUnprocessableEntity, httpapi.TypeUnprocessable, "Unprocessable Entity", ""
			pr.Detail = "the payment gateway refused the charge"
		}
		return problemAnswer(pr)
	}
	return jsonAnswer(http.StatusCreated, viewOf(p))
}

// refundAnswer is the answer POST /payments/{id}/refund records.
func (s *Service) refundAnswer(p payment, r Refund) recordedAnswer {
	if r.Status == refundFailed {
		return problemAnswer(paymentProblem{Status: http.StatusUnprocessableEntity, Type: httpapi.TypeUnprocessable,
			Title: "Unprocessable Entity", Detail: "the payment gateway refused the refund",
			Instance: "/payments/" + p.ID + "/refund", PaymentID: p.ID, RefundID: r.ID})
	}
	return jsonAnswer(http.StatusOK, viewOf(p))
}

// writeAnswer sends a recorded (or replayed) answer with its headers.
func writeAnswer(w http.ResponseWriter, a recordedAnswer) { idempotency.Write(w, a) }

// createRequest is the body of POST /payments.
type createRequest struct {
	OrderID       string       `json:"order_id" example:"ord-3f2a"`
	CustomerID    string       `json:"customer_id"`
	Amount        events.Money `json:"amount"`
	PaymentMethod string       `json:"payment_method"`
	ListingIDs    []string     `json:"listing_ids"`
	ScheduledAt   time.Time    `json:"scheduled_at"`
}

func (r createRequest) input() chargeInput {
	return chargeInput{OrderID: r.OrderID, CustomerID: r.CustomerID, Amount: r.Amount, Method: r.PaymentMethod,
		ListingIDs: r.ListingIDs, ScheduledAt: r.ScheduledAt}
}

// Validate implements httpapi.Validator.
func (r createRequest) Validate() []httpapi.FieldError { return fieldErrors(r.input().Validate()) }

// refundRequest is the body of POST /payments/{id}/refund; both fields are
// optional and an empty body means "refund everything that is left".
type refundRequest struct {
	Amount *events.Money `json:"amount" doc:"How much to refund; everything left when absent."`
	Reason string        `json:"reason,omitempty" doc:"Why, for the records." example:"one home was withdrawn"` // may be left out
}

// chargeHeaders are the headers POST /payments reads.
type chargeHeaders struct {
	IdempotencyKey string `header:"Idempotency-Key" required:"true" doc:"1 to 255 visible ASCII characters; the same key charges once."`
}

// refundHeaders are the headers POST /payments/{id}/refund reads.
type refundHeaders struct {
	IdempotencyKey string `header:"Idempotency-Key" doc:"Optional: a retry with the same key refunds nothing more."`
}

// paymentQuery are GET /payments's filters.
type paymentQuery struct {
	Status     string `query:"status" enum:"pending,succeeded,failed,refunded,partially_refunded" doc:"Only payments in this status."`
	CustomerID string `query:"customer_id" doc:"Only this customer's payments."`
}

// stripeHeaders are the headers of Stripe's webhook calls.
type stripeHeaders struct {
	Signature string `header:"Stripe-Signature" required:"true" doc:"Stripe's signature of the body with the webhook secret."`
}

// webhookAck is the answer to a webhook call Stripe need not repeat.
type webhookAck struct {
	Received bool `json:"received" enum:"true"`
}

func (r refundRequest) input() refundInput { return refundInput{Amount: r.Amount, Reason: r.Reason} }

// Validate implements httpapi.Validator.
func (r refundRequest) Validate() []httpapi.FieldError { return fieldErrors(r.input().Validate()) }

func fieldErrors(err error) []httpapi.FieldError {
	var invalid fault.ValidationError
	errors.As(err, &invalid)
	return invalid
}

// idempotencyKey reads the Idempotency-Key header: absent is "" (ok only
// where the key is optional); sent twice or malformed is a 400.
func idempotencyKey(r *http.Request, required bool) (string, error) {
	values := r.Header.Values("Idempotency-Key")
	const msg = "must be sent once, 1 to 255 visible ASCII characters"
	bad := func() error {
		p := httpapi.BadRequest("header Idempotency-Key " + msg)
		p.Errors = []httpapi.FieldError{{Field: "Idempotency-Key", Message: msg}}
		return p
	}
	switch {
	case len(values) == 0 && !required:
		return "", nil
	case len(values) != 1 || !idempotency.ValidKey(values[0]):
		return "", bad()
	}
	return values[0], nil
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	key, err := idempotencyKey(r, true)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	var req createRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	caller, _ := auth.PrincipalFrom(r.Context())
	a, err := s.Charge(r.Context(), caller.ID, key, req.input())
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	writeAnswer(w, a)
}

// handleRefund serves admins and the tour service. The body is optional
// (no body: refund everything that is left); so is the Idempotency-Key.
func (s *Service) handleRefund(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	key, err := idempotencyKey(r, false)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	var req refundRequest
	if r.ContentLength != 0 {
		if err := httpapi.Decode(w, r, &req); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
	}
	if !validText(id, maxIDLen) {
		httpapi.WriteError(w, r, httpapi.NotFound("the resource does not exist"))
		return
	}
	caller, _ := auth.PrincipalFrom(r.Context())
	a, err := s.Refund(r.Context(), id, caller.ID, key, req.input())
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	writeAnswer(w, a)
}

// handleGet serves a payment to an admin or to the customer who paid it;
// any other customer gets the same 404 as for a payment that does not
// exist.
func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	caller, _ := auth.PrincipalFrom(r.Context())
	id := r.PathValue("id")
	if !validText(id, maxIDLen) {
		httpapi.WriteError(w, r, httpapi.NotFound("the resource does not exist"))
		return
	}
	p, err := s.store.Payment(r.Context(), id)
	if err == nil && caller.Role != auth.RoleAdmin && p.CustomerID != caller.ID {
		err = errNotYours
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(p))
}

var errNotYours = fault.NotFound("another customer's payment").WithDetail("the resource does not exist")

// handleList serves admins every payment, newest first, optionally by
// status and customer_id.
func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	q := query{Limit: page.Limit + 1, Status: status(r.URL.Query().Get("status")), CustomerID: r.URL.Query().Get("customer_id")}
	if q.Status != "" && !q.Status.Valid() {
		httpapi.WriteError(w, r, badQuery("status", "must be pending, succeeded, failed, refunded or partially_refunded"))
		return
	}
	if q.CustomerID != "" && !validText(q.CustomerID, maxIDLen) {
		httpapi.WriteError(w, r, badQuery("customer_id", "must be 1 to 128 printable characters"))
		return
	}
	if page.Cursor != "" {
		var pos position
		if err := httpapi.DecodeCursor(page.Cursor, &pos); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		q.After = &pos
	}
	items, err := s.store.Payments(r.Context(), q)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		last := items[len(items)-1]
		next = httpapi.EncodeCursor(position{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	views := make([]paymentView, len(items))
	for i, p := range items {
		views[i] = viewOf(p)
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}

func badQuery(field, msg string) *httpapi.Problem {
	p := httpapi.BadRequest("query parameter " + field + " " + msg)
	p.Errors = []httpapi.FieldError{{Field: field, Message: msg}}
	return p
}
