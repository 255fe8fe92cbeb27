package notification

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// email is the payload of an email delivery: the text is composed when the
// notification is made; the address is looked up when it is sent, so the
// newest address wins.
type email struct {
	Subject string  `json:"subject"`
	Text    string  `json:"text"`
	Invite  *invite `json:"invite,omitempty"`
}

// OutgoingEmail is one message ready for the wire.
type OutgoingEmail struct {
	// ID becomes the Message-ID, so a resend after a crash is recognisably
	// the same message.
	ID      string
	To      Person
	Subject string
	Text    string
	// ICS is attached as invite.ics when not empty; Method is its iTIP
	// method (REQUEST or CANCEL).
	ICS    []byte
	Method string
}

// Mailer sends email. Send may be called concurrently; an error means the
// message was not accepted and the delivery is retried later.
type Mailer interface {
	Send(ctx context.Context, m OutgoingEmail) error
	// From is the sender, also the invites' organizer.
	From() Person
}

// SMTPMailer sends through an SMTP server with go-mail, one connection per
// message.
type SMTPMailer struct {
	host     string
	port     int
	ssl      bool
	user     string
	password string
	from     Person
	timeout  time.Duration
}

// defaultFrom is the sender when OPENHOUSE_SMTP_FROM is not set.
const defaultFrom = "openhouse <no-reply@openhouse.localhost>"

// NewSMTPMailer parses rawURL and from. The URL is smtp://[user:pass@]host[:port]
// (STARTTLS when the server offers it; port 25 by default) or
// smtps://[user:pass@]host[:port] (TLS from the start; port 465). from is
// an RFC 5322 address ("openhouse <no-reply@example.com>"). timeout bounds
// each message (default 30s).
func NewSMTPMailer(rawURL, from string, timeout time.Duration) (*SMTPMailer, error) {
	u, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	if from == "" {
		from = defaultFrom
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("OPENHOUSE_SMTP_FROM: %w", err)
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	m := &SMTPMailer{host: u.Hostname(), ssl: u.Scheme == "smtps", from: Person{Name: addr.Name, Email: addr.Address}, timeout: timeout}
	m.port = 25
	if m.ssl {
		m.port = 465
	}
	if p := u.Port(); p != "" {
		m.port, _ = strconv.Atoi(p) // checked by ParseSMTPURL
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.password, _ = u.User.Password()
	}
	return m, nil
}

// parseSMTPURL checks an OPENHOUSE_SMTP_URL value.
func parseSMTPURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("OPENHOUSE_SMTP_URL is not a URL")
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return nil, errors.New("OPENHOUSE_SMTP_URL must start with smtp:// or smtps://")
	}
	if u.Hostname() == "" {
		return nil, errors.New("OPENHOUSE_SMTP_URL must name a host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("OPENHOUSE_SMTP_URL has an invalid port")
		}
	}
	return u, nil
}

// From implements Mailer.
func (m *SMTPMailer) From() Person { return m.from }

// Send implements Mailer.
func (m *SMTPMailer) Send(ctx context.Context, e OutgoingEmail) error {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(m.from.Name, m.from.Email); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := msg.AddToFormat(e.To.Name, e.To.Email); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	msg.Subject(e.Subject)
	msg.SetDate()
	if e.ID != "" {
		msg.SetMessageIDWithValue(e.ID + "@" + senderDomain(m.from.Email))
	} else {
		msg.SetMessageID()
	}
	msg.SetBulk()
	msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	if len(e.ICS) > 0 {
		method := e.Method
		if method == "" {
			method = methodRequest
		}
		ct := gomail.ContentType("text/calendar; charset=utf-8; method=" + method)
		if err := msg.AttachReader("invite.ics", bytes.NewReader(e.ICS), gomail.WithFileContentType(ct)); err != nil {
			return fmt.Errorf("attach invite: %w", err)
		}
	}
	opts := []gomail.Option{gomail.WithPort(m.port), gomail.WithTimeout(m.timeout)}
	if m.ssl {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(m.user), gomail.WithPassword(m.password))
	}
	client, err := gomail.NewClient(m.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", net.JoinHostPort(m.host, strconv.Itoa(m.port)), err)
	}
	return nil
}

func senderDomain(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '@' {
			return addr[i+1:]
		}
	}
	return "openhouse.localhost"
}
