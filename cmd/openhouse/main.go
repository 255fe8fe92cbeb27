// Command openhouse runs the openhouse platform: every service in one
// process on embedded defaults, or any subset of them against external
// NATS, PostgreSQL and Redis. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

const usage = `openhouse: book real-estate home tours.

Usage:
  openhouse serve   [flags]   run the services (all, on embedded defaults, unless configured)
  openhouse migrate [flags]   create or update every service's tables, then exit
  openhouse admin create --email E --password P
                              create an admin account (--password - reads it from standard input)
  openhouse demo [--keep]     seed Chicago in a fresh embedded system and book one tour, printing the event trail
  openhouse bench (--url URL | --embedded) [--rate N --duration D ...]
                              drive a running system like real users and report latencies and correctness
  openhouse backup --out FILE [--data-dir D]
                              copy the data of the openhouse serving D (embedded) into one archive, while it serves
  openhouse restore --from FILE --data-dir D
                              unpack a backup into a new data directory D, to serve from
  openhouse cluster up|down|status [--instances N --dir D ...]
                              run one process per service on a 3-node NATS cluster, PostgreSQL and Redis on loopback
  openhouse help              this text

Configuration comes from environment variables, overridden by flags:
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		return 0
	}
	cmd, rest := args[0], args[1:]
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "openhouse: configuration:", err)
		return 2
	}
	switch cmd {
	case "admin":
		return adminCommand(ctx, rest, cfg, os.Stdin, stdout, stderr)
	case "demo":
		return demoCommand(ctx, rest, cfg, stdout, stderr)
	case "bench":
		return benchCommand(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return backupCommand(ctx, rest, cfg, stdout, stderr)
	case "restore":
		return restoreCommand(ctx, rest, cfg, stdout, stderr)
	case "cluster":
		return clusterCommand(ctx, rest, getenv, stdout, stderr)
	case "serve", "migrate":
		if err := parseFlags(cmd, rest, &cfg, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "openhouse:", err)
			return 2
		}
	default:
		fmt.Fprintf(stderr, "openhouse: unknown command %q\n\n", cmd)
		printUsage(stderr)
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if app.IsGateway(cfg.Services) {
		return serveGateway(ctx, cmd, cfg, log)
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	if cmd == "migrate" {
		// New has migrated every service; nothing is running yet.
		stop()
	}
	if err := a.Run(ctx); err != nil {
		log.Error("stopped with an error", "err", err)
		return 1
	}
	return 0
}

// parseFlags lets flags override the environment.
func parseFlags(cmd string, args []string, cfg *app.Config, stderr io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	services := strings.Join(cfg.Services, ",")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "listen address (OPENHOUSE_HTTP_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "embedded data directory (OPENHOUSE_DATA_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "postgres:// URL (OPENHOUSE_DATABASE_URL)")
	fs.StringVar(&cfg.NATSURL, "nats-url", cfg.NATSURL, "NATS URLs (OPENHOUSE_NATS_URL)")
	fs.StringVar(&cfg.RedisURL, "redis-url", cfg.RedisURL, "redis:// URL (OPENHOUSE_REDIS_URL)")
	fs.StringVar(&services, "services", services, "comma-separated services, or all (OPENHOUSE_SERVICES)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	var err error
	if cfg.Services, err = app.ParseServices(services); err != nil {
		return fmt.Errorf("--services: %w", err)
	}
	return cfg.Validate()
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, s := range app.Settings {
		fmt.Fprintf(w, "  %-28s %-22s %s\n", s.Env, s.Default, s.Meaning)
	}
}

func newLogger(cfg app.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	// Secrets never reach the logs, whatever a caller passes (docs/security.md).
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: telemetry.Redact}
	// Records logged with a traced context carry trace_id and span_id.
	if cfg.LogFormat == "text" {
		return slog.New(telemetry.NewLogHandler(slog.NewTextHandler(w, opts)))
	}
	return slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(w, opts)))
}
