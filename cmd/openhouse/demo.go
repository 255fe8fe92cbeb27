package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/demo"
	"github.com/openhouse/openhouse/internal/events"
)

// demoEvents are the events the demo prints, per stream.
var demoEvents = map[string][]string{
	"payment":      {events.TypePaymentSucceeded},
	"tour":         {events.TypeTourCreated, events.TypeTourScheduled, events.TypeTourUnassigned},
	"appointment":  {events.TypeAppointmentScheduled, events.TypeAppointmentUnassigned},
	"notification": {events.TypeNotificationSent},
}

// demoCommand runs `openhouse demo`: the whole system in this process on a
// fresh data directory, seeded with Chicago, and one booking driven
// through every service.
func demoCommand(ctx context.Context, args []string, cfg app.Config, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", false, "keep the data directory afterwards and print its path")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir, err := os.MkdirTemp("", "openhouse-demo-")
	if err != nil {
		fmt.Fprintln(stderr, "openhouse demo:", err)
		return 1
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	cfg.DataDir, cfg.HTTPAddr = dir, "127.0.0.1:0"
	cfg.DatabaseURL, cfg.NATSURL, cfg.RedisURL = "", "", ""
	cfg.Services = app.ServiceNames()
	cfg.AdminEmail, cfg.AdminPassword = "admin@demo.openhouse.test", "demo admin "+hex.EncodeToString(secret)
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fmt.Fprintln(stderr, "openhouse demo:", err)
		return 1
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	fmt.Fprintf(stdout, "openhouse demo: every service in this process on embedded defaults (%s), http://%s\n\n", dir, a.Addr())
	started := time.Now()
	err = demo.Run(ctx, demo.Config{BaseURL: "http://" + a.Addr(), AdminEmail: cfg.AdminEmail, AdminPassword: cfg.AdminPassword,
		Out: stdout, Events: demoEvents}, a.Bus())
	stop()
	if rerr := <-done; rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		fmt.Fprintln(stderr, "openhouse demo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\ndone in %s", time.Since(started).Round(time.Millisecond))
	if *keep {
		fmt.Fprintf(stdout, "; data kept in %s", dir)
	}
	fmt.Fprintln(stdout)
	return 0
}
