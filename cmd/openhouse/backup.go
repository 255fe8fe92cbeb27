package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/openhouse/openhouse/internal/app"
)

// backupCommand runs `openhouse backup --out FILE`: it asks the process
// serving the data directory for an archive over its control socket, and
// writes it to FILE only once the whole archive has arrived and matched its
// checksums.
func backupCommand(ctx context.Context, args []string, cfg app.Config, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the archive to write (must not exist)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory of the running openhouse (OPENHOUSE_DATA_DIR)")
	if code, ok := parseCommandFlags(fs, args, stderr); !ok {
		return code
	}
	if *out == "" {
		fmt.Fprintln(stderr, "openhouse backup: --out is required")
		return 2
	}
	if _, err := os.Stat(*out); !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "openhouse backup: %s exists; give a new file\n", *out)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".openhouse-backup-")
	if err != nil {
		fmt.Fprintln(stderr, "openhouse backup:", err)
		return 1
	}
	defer os.Remove(tmp.Name()) // gone once renamed; removed if anything failed
	started := time.Now()
	info, err := app.RequestBackup(ctx, cfg.DataDir, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *out)
	}
	if err != nil {
		fmt.Fprintln(stderr, "openhouse backup:", err)
		return 1
	}
	size := int64(0)
	if st, err := os.Stat(*out); err == nil {
		size = st.Size()
	}
	pending, unacked := info.InFlight()
	fmt.Fprintf(stdout, "wrote %s (%.1f MiB) in %s: %d databases and %d streams as of %s\n",
		*out, float64(size)/(1<<20), time.Since(started).Round(time.Millisecond), len(info.Databases), len(info.Streams), info.TakenAt.Format(time.RFC3339Nano))
	fmt.Fprintf(stdout, "writes waited %s, events %s; in flight at that instant: %d events in outboxes, %d deliveries unacknowledged (a restore completes them)\n",
		info.WritesHeld.Round(time.Microsecond), info.EventsHeld.Round(time.Microsecond), pending, unacked)
	return 0
}

// restoreCommand runs `openhouse restore --from FILE --data-dir DIR`.
func restoreCommand(ctx context.Context, args []string, cfg app.Config, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the archive `openhouse backup` wrote")
	dataDir := fs.String("data-dir", "", "a new (missing or empty) data directory to restore into")
	if code, ok := parseCommandFlags(fs, args, stderr); !ok {
		return code
	}
	if *from == "" || *dataDir == "" {
		fmt.Fprintln(stderr, "openhouse restore: --from and --data-dir are required")
		return 2
	}
	in, err := os.Open(*from)
	if err != nil {
		fmt.Fprintln(stderr, "openhouse restore:", err)
		return 1
	}
	defer in.Close()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	info, err := app.Restore(ctx, in, *dataDir, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "openhouse restore:", err)
		if errors.Is(err, app.ErrDataDirInUse) {
			return 2
		}
		return 1
	}
	var events uint64
	for _, s := range info.Streams {
		events += s.Messages
	}
	pending, unacked := info.InFlight()
	fmt.Fprintf(stdout, "restored %d databases and %d streams (%d events) as of %s into %s\n",
		len(info.Databases), len(info.Streams), events, info.TakenAt.Format(time.RFC3339Nano), *dataDir)
	fmt.Fprintf(stdout, "start it with OPENHOUSE_DATA_DIR=%s openhouse serve: it publishes the %d events left in outboxes and delivers again the %d unacknowledged ones (inboxes drop what was applied)\n",
		*dataDir, pending, unacked)
	return 0
}

// parseCommandFlags parses a subcommand's flags; ok is false when the
// command should exit with code (0 for --help).
func parseCommandFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "openhouse %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, false
	}
	return 0, true
}
