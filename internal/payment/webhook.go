package payment

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// maxWebhookBytes bounds a Stripe event; real ones are a few KiB.
const maxWebhookBytes = httpapi.MaxBodyBytes

// handleStripeWebhook is POST /payments/webhooks/stripe. Stripe calls it
// without a token; what authenticates the call is the Stripe-Signature
// header, an HMAC-SHA256 of the raw body and a timestamp under the
// endpoint's signing secret, checked by stripe-go's webhook package before
// anything else is read: a missing, malformed, wrong or older than
// WebhookTolerance signature (measured on the wall clock, as Stripe signs
// with it) is a 400 problem and changes nothing.
//
// payment_intent.succeeded and payment_intent.payment_failed settle the
// payment named in the PaymentIntent's metadata if it is still pending (a
// charge whose answer was lost, or that Stripe settled asynchronously);
// repeats and other events change nothing and are acknowledged with 200,
// so Stripe stops redelivering them. Events for payments this service does
// not know are acknowledged too (the account may serve other systems).
// The API version of the event is not enforced: only the PaymentIntent's
// id, status, metadata and last error are read, which every version has.
func (s *Service) handleStripeWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			httpapi.WriteError(w, r, httpapi.TooLarge("the event is larger than 1 MiB"))
			return
		}
		httpapi.WriteError(w, r, httpapi.BadRequest("could not read the request body"))
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), s.cfg.WebhookSecret,
		webhook.ConstructEventOptions{Tolerance: s.cfg.WebhookTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		s.cfg.Log.WarnContext(r.Context(), "stripe webhook refused", "reason", webhookReason(err))
		httpapi.WriteError(w, r, httpapi.BadRequest("the Stripe-Signature header is missing, invalid or expired"))
		return
	}
	var out outcome
	switch ev.Type {
	case stripe.EventTypePaymentIntentSucceeded:
		out.succeeded = true
	case stripe.EventTypePaymentIntentPaymentFailed:
	default:
		acknowledge(w)
		return
	}
	var pi stripe.PaymentIntent
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &pi) != nil {
		httpapi.WriteError(w, r, httpapi.BadRequest("the event does not hold a payment intent"))
		return
	}
	paymentID := pi.Metadata[metadataPaymentID]
	if paymentID == "" {
		acknowledge(w)
		return
	}
	out.ref = pi.ID
	if !out.succeeded {
		out.reason = declineCode(pi.LastPaymentError, "payment_failed")
	}
	if _, err := s.settleCharge(webhookActor(r.Context()), paymentID, out, nil); err != nil && !errors.Is(err, store.ErrNotFound) {
		httpapi.WriteError(w, r, err) // 500: Stripe delivers it again later
		return
	}
	acknowledge(w)
}

func acknowledge(w http.ResponseWriter) {
	httpapi.WriteJSON(w, http.StatusOK, webhookAck{Received: true})
}

// webhookReason names why a signature failed, for the log; the client only
// learns that it did.
func webhookReason(err error) string {
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return "no signature"
	case errors.Is(err, webhook.ErrInvalidHeader):
		return "malformed header"
	case errors.Is(err, webhook.ErrTooOld):
		return "timestamp outside tolerance"
	case errors.Is(err, webhook.ErrNoValidSignature):
		return "signature mismatch"
	}
	return "unreadable event"
}
