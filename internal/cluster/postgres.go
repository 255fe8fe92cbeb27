package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// A cluster without a DatabaseURL runs its own PostgreSQL server (initdb'd
// under RunDir/postgres, listening on BasePort+50), so that the chaos run can
// kill -9 it and watch crash recovery without touching a server others use,
// and so that its connections do not count against a shared
// max_connections. As root, the server runs as the "postgres" user, since
// PostgreSQL refuses to run as root.

func (o Options) postgresPort() int { return o.BasePort + 50 }

func (o Options) postgresDir() string { return filepath.Join(o.RunDir, "postgres") }

// privatePostgresURL is the URL of the private server's database.
func (o Options) privatePostgresURL() string {
	return fmt.Sprintf("postgres://postgres@%s/openhouse?sslmode=disable", hostPort(o.Host, o.postgresPort()))
}

func (o Options) postgresProc() Proc {
	data := filepath.Join(o.postgresDir(), "data")
	return Proc{Name: "postgres", Bin: filepath.Join(o.PostgresBinDir, "postgres"), TCP: true,
		Addr: hostPort(o.Host, o.postgresPort()), RunAsPostgres: os.Getuid() == 0,
		Args: []string{"-D", data, "-p", strconv.Itoa(o.postgresPort()), "-k", o.postgresDir(),
			"-c", "listen_addresses=" + o.Host, "-c", "max_connections=300", "-c", "fsync=on",
			"-c", "synchronous_commit=on", "-c", "shared_buffers=64MB"}}
}

// postgresCredential is the user the private server runs as: "postgres"
// when this process is root, otherwise this process's own.
func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("cluster: PostgreSQL cannot run as root and there is no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// initPostgres creates the private server's data directory once.
func (c *Cluster) initPostgres(ctx context.Context) error {
	o := c.T.Options
	dir := o.postgresDir()
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(o.PostgresBinDir, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "-E", "UTF8", "--no-sync")
	if os.Getuid() == 0 {
		cred, err := postgresCredential()
		if err != nil {
			return err
		}
		// The server's user must reach its directory: let it through the
		// run directory (search only) and own its own part.
		for d := o.RunDir; ; d = filepath.Dir(d) {
			if info, err := os.Stat(d); err == nil && info.Mode().Perm()&0o001 == 0 {
				if err := os.Chmod(d, info.Mode().Perm()|0o011); err != nil {
					return err
				}
			}
			if d == filepath.Dir(d) || d == os.TempDir() {
				break
			}
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cluster: initdb: %w: %s", err, out)
	}
	return nil
}
