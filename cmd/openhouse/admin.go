package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/openhouse/openhouse/internal/app"
)

// adminCommand runs `openhouse admin create`.
func adminCommand(ctx context.Context, args []string, cfg app.Config, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: openhouse admin create --email E --password P   (P = - reads standard input)")
		return 2
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the admin's email")
	password := fs.String("password", "", "the admin's password, or - to read it from standard input")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "embedded data directory (OPENHOUSE_DATA_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "postgres:// URL (OPENHOUSE_DATABASE_URL)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *email == "" || *password == "" {
		fmt.Fprintln(stderr, "openhouse admin create: --email and --password are required")
		return 2
	}
	if *password == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintln(stderr, "openhouse admin create: read password:", err)
			return 1
		}
		*password = strings.TrimRight(line, "\r\n")
	}
	created, err := app.CreateAdmin(ctx, cfg, *email, *password)
	if err != nil {
		fmt.Fprintln(stderr, "openhouse admin create:", err)
		return 1
	}
	if created {
		fmt.Fprintf(stdout, "created admin %s\n", *email)
	} else {
		fmt.Fprintf(stdout, "%s already exists; nothing changed\n", *email)
	}
	return 0
}
