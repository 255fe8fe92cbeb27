package notification

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// The mail server the email tests send through (.ci/run starts mailpit
// and sets both).
const (
	envSMTPURL    = "OPENHOUSE_TEST_SMTP_URL"    // smtp://127.0.0.1:PORT
	envMailpitURL = "OPENHOUSE_TEST_MAILPIT_URL" // http://127.0.0.1:PORT (mailpit's API)
)

// mailpit reads what a mailpit server received.
type mailpit struct {
	t    *testing.T
	base string
}

type mpAddress struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

type mpSummary struct {
	ID      string      `json:"ID"`
	To      []mpAddress `json:"To"`
	Subject string      `json:"Subject"`
}

type mpMessage struct {
	ID          string      `json:"ID"`
	MessageID   string      `json:"MessageID"`
	From        mpAddress   `json:"From"`
	To          []mpAddress `json:"To"`
	Subject     string      `json:"Subject"`
	Text        string      `json:"Text"`
	Attachments []struct {
		PartID      string `json:"PartID"`
		FileName    string `json:"FileName"`
		ContentType string `json:"ContentType"`
	} `json:"Attachments"`
}

func (m mailpit) get(path string, into any) []byte {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("mailpit %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("mailpit %s: %d %s", path, resp.StatusCode, raw)
	}
	if into != nil {
		if err := json.Unmarshal(raw, into); err != nil {
			m.t.Fatalf("mailpit %s: %v in %s", path, err, raw)
		}
	}
	return raw
}

// messagesTo lists the messages to one address, newest first.
func (m mailpit) messagesTo(addr string) []mpSummary {
	var list struct {
		Messages []mpSummary `json:"messages"`
	}
	m.get("/api/v1/search?query="+url.QueryEscape(`to:"`+addr+`"`), &list)
	return list.Messages
}

func (m mailpit) message(id string) (mpMessage, string) {
	var msg mpMessage
	m.get("/api/v1/message/"+id, &msg)
	for _, a := range msg.Attachments {
		if strings.HasSuffix(a.FileName, ".ics") {
			return msg, string(m.get("/api/v1/message/"+id+"/part/"+a.PartID, nil))
		}
	}
	return msg, ""
}

func randomWord(t *testing.T) string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestEmailThroughSMTP sends tour emails through a real SMTP server
// (mailpit) and reads them back as a mail client would: recipient,
// subject, the local time with its zone in the text, and an .ics invite
// with the tour's UID, start, and a cancellation that replaces it.
func TestEmailThroughSMTP(t *testing.T) {
	smtpURL, apiURL := os.Getenv(envSMTPURL), os.Getenv(envMailpitURL)
	if smtpURL == "" || apiURL == "" {
		t.Skip(envSMTPURL + " and " + envMailpitURL + " are not set; .ci/run starts mailpit and sets them")
	}
	mp := mailpit{t: t, base: strings.TrimRight(apiURL, "/")}
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		word := randomWord(t)
		cust := events.UserRegistered{UserID: "cust-" + word, Email: "cleo." + word + "@example.com", Name: "Cleo Customer", Role: "customer"}
		real := events.UserRegistered{UserID: "real-" + word, Email: "rita." + word + "@example.com", Name: "Rita", Role: "realtor"} // the profile says Rita too
		mailer, err := NewSMTPMailer(smtpURL, "openhouse tests <no-reply@openhouse.test>", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		in := newInstance(t, db, clk, Config{Mailer: mailer})
		in.register(t, cust, real)
		in.profile(t, real.UserID, "America/New_York")
		in.run(t)
		tourID := "tour-" + word
		tr := tour(tourID, cust.UserID, real.UserID, 2, tourStart)
		in.handle(t, scheduled(t, tr, t0))
		waitDelivered := func(user string, n int) {
			t.Helper()
			waitFor(t, db, fmt.Sprintf("%d emails to %s", n, user), func() bool {
				done := 0
				for _, it := range inbox(t, in.store, user) {
					for _, d := range it.Deliveries {
						if d.Channel == channelEmail && d.State == deliveryDelivered {
							done++
						}
					}
				}
				return done >= n
			})
		}
		waitDelivered(cust.UserID, 1)
		waitDelivered(real.UserID, 1)

		check := func(to events.UserRegistered, wantTime, wantMethod string, wantSeq int, wantSubject string) {
			t.Helper()
			list := mp.messagesTo(to.Email)
			if len(list) == 0 {
				t.Fatalf("mailpit has no message to %s", to.Email)
			}
			msg, ics := mp.message(list[0].ID)
			if len(msg.To) != 1 || msg.To[0].Address != to.Email || msg.To[0].Name != to.Name {
				t.Fatalf("To = %+v, want %s <%s>", msg.To, to.Name, to.Email)
			}
			if msg.From.Address != "no-reply@openhouse.test" {
				t.Fatalf("From = %+v", msg.From)
			}
			if !strings.Contains(msg.Subject, wantSubject) {
				t.Fatalf("Subject %q lacks %q", msg.Subject, wantSubject)
			}
			if !strings.Contains(msg.Text, wantTime) {
				t.Fatalf("text lacks %q:\n%s", wantTime, msg.Text)
			}
			if ics == "" {
				t.Fatalf("no .ics attachment in %+v", msg.Attachments)
			}
			lines := unfold(t, ics)
			for name, want := range map[string]string{
				"UID": tourID, "DTSTART": "20261201T160000Z", "DTEND": "20261201T171500Z", "METHOD": wantMethod,
				"SEQUENCE": fmt.Sprint(wantSeq), "LOCATION": `Lake loft\, 3 bd\; river view`,
			} {
				if got, ok := property(lines, name); !ok || got != want {
					t.Fatalf("invite %s = %q, want %q\n%s", name, got, want, ics)
				}
			}
			if att, _ := property(lines, "ATTENDEE"); att != "mailto:"+to.Email {
				t.Fatalf("invite ATTENDEE = %q", att)
			}
		}
		check(cust, "Tuesday 1 December 2026, 10:00 CST (America/Chicago)", "REQUEST", 2, "Your home tour is booked")
		check(real, "Tuesday 1 December 2026, 11:00 EST (America/New_York)", "REQUEST", 2, "New tour")

		// The tour is cancelled: an email whose invite cancels the same
		// calendar entry, with a higher sequence.
		tr.Version = 3
		in.handle(t, cancelled(t, tr, t0.Add(time.Hour)))
		waitDelivered(cust.UserID, 2)
		check(cust, "10:00 CST (America/Chicago) has been cancelled", "CANCEL", 3, "Tour cancelled")
		if n := len(mp.messagesTo(cust.Email)); n != 2 {
			t.Fatalf("%d messages to the customer, want 2", n)
		}
	})
}

func TestSMTPSettings(t *testing.T) {
	for _, bad := range []string{"http://mail.example.com", "smtp://", "smtp://host:99999", "mail.example.com:25", "smtp://host:port"} {
		if _, err := NewSMTPMailer(bad, "", 0); err == nil {
			t.Errorf("NewSMTPMailer(%q) succeeded", bad)
		}
	}
	if _, err := NewSMTPMailer("smtp://127.0.0.1:1025", "not an address", 0); err == nil {
		t.Error("a bad sender was accepted")
	}
	m, err := NewSMTPMailer("smtps://user:pw@mail.example.com", "", 0)
	if err != nil || m.From().Email != "no-reply@openhouse.localhost" {
		t.Fatalf("defaults: %+v, %v", m, err)
	}
	// A server that is not there is an error to retry, not a hang.
	m, _ = NewSMTPMailer("smtp://127.0.0.1:1", "", 2*time.Second)
	if err := m.Send(context.Background(), OutgoingEmail{To: Person{Email: "a@example.com"}, Subject: "s", Text: "t"}); err == nil {
		t.Fatal("sending to a closed port succeeded")
	}
}
