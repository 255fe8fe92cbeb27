package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"errors"
	"net/http"
	"net/url"

	twclient "github.com/twilio/twilio-go/client"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// TwilioSignatureHeader carries Twilio's signature of a webhook request.
const twilioSignatureHeader = "X-Twilio-Signature"

// inboundURL is the URL Twilio signed: the configured public URL of this
// endpoint, else the one the request came in on.
func (s *Service) inboundURL(r *http.Request) string {
	if s.cfg.Twilio.WebhookURL != "" {
		return s.cfg.Twilio.WebhookURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}).String()
}

// handleInboundSMS is POST /notifications/sms/inbound, Twilio's webhook
// for texts sent to openhouse's number. Only a request Twilio signed with
// the account's auth token (X-Twilio-Signature, checked with twilio-go's
// RequestValidator) is read; anything else is 403 and changes nothing. A
// text from a verified phone is kept once per MessageSid: STOP opts the
// phone out at once, START back in, Y or N is carried out by the poller
// (confirm or decline through the appointment service). The answer is an
// empty TwiML response: nothing is texted back.
func (s *Service) handleInboundSMS(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SMS == nil {
		httpapi.WriteError(w, r, httpapi.NotFound("text messages are not set up on this server"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		httpapi.WriteError(w, r, httpapi.BadRequest("the body must be a small form"))
		return
	}
	params := make(map[string]string, len(r.PostForm))
	for k, vs := range r.PostForm {
		if len(vs) > 0 {
			params[k] = vs[0]
		}
	}
	validator := twclient.NewRequestValidator(s.cfg.Twilio.AuthToken)
	sig := r.Header.Get(twilioSignatureHeader)
	if sig == "" || !validator.Validate(s.inboundURL(r), params, sig) {
		httpapi.WriteError(w, r, httpapi.Forbidden("the request is not signed by Twilio"))
		return
	}
	sid, from := params["MessageSid"], params["From"]
	if sid == "" || len(sid) > 64 {
		httpapi.WriteError(w, r, httpapi.BadRequest("MessageSid is required"))
		return
	}
	number, err := normalizePhone(from)
	if err == nil {
		var phone phone
		phone, err = s.store.PhoneByNumber(r.Context(), number)
		if err == nil {
			action := parseReply(params["Body"])
			state := "done"
			if action == replyConfirm || action == replyDecline {
				state = "pending"
			}
			now := s.cfg.Clock.Now().UTC()
			if _, err = s.store.RecordReply(r.Context(), reply{MessageSID: sid, UserID: phone.UserID, Action: action, State: state, ReceivedAt: now}); err != nil {
				httpapi.WriteError(w, r, err)
				return
			}
			s.cfg.Log.InfoContext(r.Context(), "sms received", "user_id", phone.UserID, "action", action)
			s.Wake()
		}
	}
	if err != nil && !errors.Is(err, errNoPhone) && !errors.As(err, new(fault.ValidationError)) {
		httpapi.WriteError(w, r, err)
		return
	}
	// An unknown number gets the same empty answer: nothing to learn here.
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`))
}

// inboundForm is what the API document says of Twilio's form (the fields
// read here; Twilio sends more).
type inboundForm struct {
	MessageSid string `json:"MessageSid"`
	From       string `json:"From"`
	To         string `json:"To"`
	Body       string `json:"Body"`
}

// inboundParams are the headers the inbound webhook reads.
type inboundParams struct {
	Signature string `header:"X-Twilio-Signature" required:"true"`
}
