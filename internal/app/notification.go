package app

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/notification"
)

// buildNotification wires the notification service: inbox, reminders and
// webhooks in its own database; email when OPENHOUSE_SMTP_URL is set.
func buildNotification(ctx context.Context, e env) (component, error) {
	st, err := notification.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	cfg := notification.Config{Clock: e.Clock, Log: e.Log, ReminderOffsets: e.Config.ReminderOffsets, Metrics: e.Metrics}
	if e.Config.SMTPURL != "" {
		mailer, err := notification.NewSMTPMailer(e.Config.SMTPURL, e.Config.SMTPFrom, 0)
		if err != nil {
			return nil, err
		}
		cfg.Mailer = mailer
		e.Log.Info("notification email: smtp", "server", smtpServer(e.Config.SMTPURL), "from", mailer.From().Email)
	} else {
		e.Log.Info("notification email: off (OPENHOUSE_SMTP_URL is not set)")
	}
	if e.Config.Twilio.AccountSID != "" {
		sender, err := notification.NewTwilioSender(e.Config.Twilio)
		if err != nil {
			return nil, err
		}
		cfg.SMS, cfg.Twilio = sender, e.Config.Twilio
		// A realtor's Y or N confirms or declines through the appointment
		// API, with a token of theirs limited to that (iam's token exchange).
		cfg.Appointments = clients.NewAppointments(e.Peer("appointment"), e.HTTP, e.Identity, clients.Options{})
		e.Log.Info("notification sms: twilio", "from", e.Config.Twilio.From)
	} else {
		e.Log.Info("notification sms: off (OPENHOUSE_TWILIO_ACCOUNT_SID is not set)")
	}
	return notification.New(st, cfg)
}

// smtpServer is the URL's host and port, without any credentials, for logs.
func smtpServer(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// parseReminderOffsets reads OPENHOUSE_REMINDER_OFFSETS ("24h,1h").
func parseReminderOffsets(s string) ([]time.Duration, error) {
	out, err := notification.ParseOffsets(s)
	if err != nil {
		return nil, fmt.Errorf("OPENHOUSE_REMINDER_OFFSETS: %w", err)
	}
	return out, nil
}

// validateNotification checks the notification settings of c.
func validateNotification(c Config) error {
	if err := notification.ValidateOffsets(c.ReminderOffsets); err != nil {
		return fmt.Errorf("OPENHOUSE_REMINDER_OFFSETS: %w", err)
	}
	if c.SMTPURL != "" {
		if _, err := notification.NewSMTPMailer(c.SMTPURL, c.SMTPFrom, 0); err != nil {
			return err
		}
	}
	if t := c.Twilio; t.AccountSID != "" || t.AuthToken != "" || t.From != "" {
		return t.Validate()
	}
	return nil
}
