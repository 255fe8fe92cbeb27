// Package twiliofake is a local stand-in for the one Twilio endpoint
// openhouse uses, Create a Message (POST
// /2010-04-01/Accounts/{AccountSid}/Messages.json), so that the SMS channel
// runs against a server speaking Twilio's protocol in tests and CI, the way
// mailpit stands in for an SMTP server. It checks what Twilio checks first
// (HTTP Basic with the account SID and auth token, the form's To, From and
// Body, E.164 numbers), answers what Twilio answers (201 with the message
// resource, or Twilio's error JSON), and records every accepted message,
// readable at GET /messages (newest last) and cleared by DELETE /messages.
package twiliofake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// Message is one accepted message, as GET /messages lists it.
type Message struct {
	SID         string    `json:"sid"`
	AccountSID  string    `json:"account_sid"`
	To          string    `json:"to"`
	From        string    `json:"from"`
	Body        string    `json:"body"`
	DateCreated time.Time `json:"date_created"`
}

// Server is the fake. The zero value is not usable; use New.
type Server struct {
	accountSID, authToken string
	mu                    sync.Mutex
	messages              []Message
	mux                   *http.ServeMux
}

// New returns a fake for one account.
func New(accountSID, authToken string) *Server {
	s := &Server{accountSID: accountSID, authToken: authToken, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", s.create)
	s.mux.HandleFunc("GET /messages", s.list)
	s.mux.HandleFunc("DELETE /messages", s.clear)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Messages returns what was accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// twilioError is Twilio's error body.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func fail(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(twilioError{Code: code, Message: msg, Status: status,
		MoreInfo: "https://www.twilio.com/docs/errors/" + itoa(code)})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.accountSID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.authToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		fail(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.PathValue("sid") != s.accountSID {
		fail(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, 21100, "Malformed form body")
		return
	}
	to, from, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
	switch {
	case to == "":
		fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(to):
		fail(w, http.StatusBadRequest, 21211, "The 'To' number "+to+" is not a valid phone number.")
		return
	case from == "" && r.PostForm.Get("MessagingServiceSid") == "":
		fail(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case from != "" && !e164.MatchString(from):
		fail(w, http.StatusBadRequest, 21212, "The 'From' number "+from+" is not a valid phone number.")
		return
	case body == "" && r.PostForm.Get("MediaUrl") == "":
		fail(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case len([]rune(body)) > 1600:
		fail(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	m := Message{SID: "SM" + hex.EncodeToString(id), AccountSID: s.accountSID, To: to, From: from, Body: body, DateCreated: time.Now().UTC()}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	date := m.DateCreated.Format(time.RFC1123Z)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": m.SID, "account_sid": m.AccountSID, "to": m.To, "from": m.From, "body": m.Body,
		"status": "queued", "direction": "outbound-api", "num_segments": "1", "api_version": "2010-04-01",
		"date_created": date, "date_updated": date, "date_sent": nil, "price": nil, "error_code": nil, "error_message": nil,
		"uri": "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID + ".json",
	})
}

func (s *Server) list(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"messages": s.Messages()})
}

func (s *Server) clear(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.messages = nil
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
