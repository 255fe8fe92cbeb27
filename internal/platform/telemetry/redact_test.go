package telemetry_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

func TestRedactKeepsSecretsOutOfLogs(t *testing.T) {
	const jwt = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLWJ5dGVz"
	secrets := []string{"hunter2-passphrase", jwt, "s3cr3t-db-pass", "whsec_live_abc", "sk_live_key"}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: telemetry.Redact}))
	log.Info("login", "email", "ann@example.com", "password", "hunter2-passphrase")
	log.Info("call", "Authorization", "Bearer "+jwt)
	log.Info("request", "detail", "sent token "+jwt+" to the api")
	log.Info("connect", "url", "postgres://openhouse:s3cr3t-db-pass@db.internal:5432/openhouse")
	log.Info("webhook", slog.Group("stripe", "webhook_secret", "whsec_live_abc", "api_key", "sk_live_key"))
	log.Info("nothing secret", "user_id", "u1", "path", "/tours/42")
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log shows %q:\n%s", s, out)
		}
	}
	for _, keep := range []string{"ann@example.com", "postgres://openhouse:", "db.internal:5432/openhouse", `"user_id":"u1"`, `"path":"/tours/42"`} {
		if !strings.Contains(out, keep) {
			t.Errorf("the log lost %q:\n%s", keep, out)
		}
	}
}
