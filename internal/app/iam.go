package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/auditlog"
	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/records"
)

// buildIAM wires the iam service: its store and signing keys live in its
// own database; the first admin comes from OPENHOUSE_ADMIN_EMAIL. The audit
// log and the user records run beside it, in the same database and under
// its durable consumer name (see iamParts).
func buildIAM(ctx context.Context, e env) (component, error) {
	// iam's store first: its migrations created the audit and records
	// tables before those moved out, and theirs adopt them.
	st, err := iam.NewSQLStore(ctx, e.DB)
	if err != nil {
		return nil, err
	}
	logStore, err := auditlog.NewSQLStore(ctx, e.DB)
	if err != nil {
		return nil, err
	}
	log, err := auditlog.New(logStore)
	if err != nil {
		return nil, err
	}
	recStore, err := records.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	book, err := records.New(recStore)
	if err != nil {
		return nil, err
	}
	key, err := secretsKey(e.Config)
	if err != nil {
		return nil, err
	}
	if key == nil {
		e.Log.Warn("no OPENHOUSE_SECRETS_KEY and no data directory: calendar URLs saved now cannot be read after a restart")
	}
	fetch := e.CalendarFetch
	fetch.AllowHTTP = e.Config.CalendarAllowHTTP
	svc, err := iam.New(ctx, st, iam.NewSQLKeyStore(e.DB), iam.Config{
		ServiceSecrets: e.ServiceSecrets,
		Tokens:         auth.IssuerConfig{TTL: e.Config.AccessTokenTTL, Clock: e.Clock},
		Refresh:        iam.RefreshLifetimes{Idle: e.Config.RefreshIdle, Max: e.Config.RefreshMax},
		Calendar:       iam.CalendarConfig{Interval: e.Config.CalendarSyncInterval, Key: key, Fetch: fetch},
		Records:        book,
		// Time off and daily caps are taken by the appointment service
		// first, where double booking is prevented.
		Schedules: clients.NewSchedules(e.Peer("appointment"), e.HTTP, e.Identity, clients.Options{}),
		Clock:     e.Clock,
		Log:       e.Log,
	})
	if err != nil {
		return nil, err
	}
	if e.Config.AdminEmail != "" {
		if _, err := svc.EnsureAdmin(ctx, e.Config.AdminEmail, e.Config.AdminPassword); err != nil {
			return nil, err
		}
	}
	subs, err := iamSubscriptions(book, log)
	if err != nil {
		return nil, err
	}
	return iamParts{Service: svc, routes: append(svc.Routes(), log.Routes()...), subs: subs}, nil
}

// iamSubscriptions are the records' and the log's consumers, one durable
// consumer per stream: an event both read (a payment's settlement, which
// carries its audit entry) is applied by the records, then the log.
func iamSubscriptions(book *records.Book, log *auditlog.Log) ([]bus.Subscription, error) {
	return bus.Merge(append(book.Subscriptions(), log.Subscriptions()...)...)
}

// iamParts is the iam process as the app runs it: the iam service (whose
// other methods, KeySource, Run, RecordAdminAction, it carries), the audit
// log's route, and the records' and log's consumers merged into one durable
// consumer per stream, as they were when all three were one package.
type iamParts struct {
	*iam.Service
	routes []auth.Route
	subs   []bus.Subscription
}

func (p iamParts) Routes() []auth.Route              { return p.routes }
func (p iamParts) Subscriptions() []bus.Subscription { return p.subs }
