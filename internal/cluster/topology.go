// Package cluster runs the distributed mode on one machine: a 3-node NATS
// JetStream cluster with a user per service, and any number of `openhouse
// serve --services X` processes per service behind a gateway, against
// PostgreSQL (one schema per service) and Redis, every process on loopback
// with its own log file. `openhouse cluster up|down|status` drives it, and
// the chaos test kills and restarts its processes.
package cluster

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/openhouse/openhouse/internal/app"
)

// Options describe one cluster.
type Options struct {
	// RunDir holds config, NATS stores, logs and the state file.
	RunDir string
	// Instances of every service (1, 2, 4, ...).
	Instances int
	// Host is the loopback address every process binds.
	Host string
	// BasePort: the gateway listens on BasePort, NATS node i (0-based) on
	// BasePort+10+i (clients), +20+i (routes), +30+i (monitoring), and
	// instance j of the k-th service on BasePort+100+10k+j.
	BasePort int
	// DatabaseURL is a postgres:// URL of the cluster's database (created if
	// missing); RedisURL the availability index. An empty RedisURL runs a
	// private redis-server (RedisBin) on BasePort+40, which the chaos run
	// can restart without disturbing anyone else's Redis.
	DatabaseURL, RedisURL, RedisBin string
	// PostgresBinDir holds initdb and postgres for a private server, run
	// when DatabaseURL is empty (see postgres.go).
	PostgresBinDir string `json:",omitempty"`
	// Namespace prefixes schemas, streams, subjects and Redis keys.
	Namespace string
	// OpenhouseBin and NATSBin are the executables to run.
	OpenhouseBin, NATSBin string
	// AdminEmail and AdminPassword are the first admin's.
	AdminEmail, AdminPassword string
	// RateLimits is OPENHOUSE_RATE_LIMITS of every service ("" for the
	// defaults); load runs from one address turn them off.
	RateLimits string `json:",omitempty"`
	// BcryptCost of the NATS users' password hashes; 0 is bcrypt's default.
	// Tests lower it: the race detector makes each hash take seconds.
	BcryptCost int `json:",omitempty"`
}

// NATSNodes is the size of the JetStream cluster: three, so that one node
// can be lost while streams keep a quorum.
const NATSNodes = 3

// Validate names the first option that cannot work.
func (o Options) Validate() error {
	switch {
	case o.RunDir == "":
		return errors.New("cluster: run directory is required")
	case o.Instances < 1 || o.Instances > 9:
		return errors.New("cluster: instances per service must be 1 to 9")
	case o.BasePort < 1024 || o.BasePort > 65000-200:
		return errors.New("cluster: base port must be 1024 to 64800")
	case o.DatabaseURL != "" && !strings.HasPrefix(o.DatabaseURL, "postgres://") && !strings.HasPrefix(o.DatabaseURL, "postgresql://"):
		return errors.New("cluster: the database URL must be postgres://")
	case o.DatabaseURL == "" && o.PostgresBinDir == "":
		return errors.New("cluster: a database URL, or PostgreSQL's binaries to run a server, is required")
	case o.RedisURL != "" && !strings.HasPrefix(o.RedisURL, "redis://"):
		return errors.New("cluster: the Redis URL must be redis://")
	case o.RedisURL == "" && o.RedisBin == "":
		return errors.New("cluster: a Redis URL, or redis-server to run one, is required")
	case o.OpenhouseBin == "" || o.NATSBin == "":
		return errors.New("cluster: openhouse and nats-server executables are required")
	case o.AdminEmail == "" || o.AdminPassword == "":
		return errors.New("cluster: the admin's email and password are required")
	}
	return nil
}

// Proc is one process of the topology.
type Proc struct {
	// Name is unique: "nats-1", "gateway", "tour-2".
	Name string
	// Service is the openhouse service ("" for NATS nodes, "gateway").
	Service string
	// Instance numbers the processes of one service from 1.
	Instance int `json:",omitempty"`
	Bin      string
	Args     []string
	// Env is added to a minimal environment (PATH, HOME).
	Env []string
	// Addr is where it answers: HTTP /healthz for openhouse processes, the
	// monitoring port's /healthz for NATS nodes.
	Addr string
	// Config is written to ConfigPath before the first start (NATS nodes).
	Config, ConfigPath string
	// TCP: health is a TCP connect to Addr (Redis), not HTTP /healthz.
	TCP bool
	// RunAsPostgres runs the process as the postgres user (a private
	// PostgreSQL server started by root).
	RunAsPostgres bool `json:",omitempty"`
}

// Topology is every process of a cluster and the secrets they share.
type Topology struct {
	Options Options
	Procs   []Proc
	Nodes   []NATSNode
	// NATSUsers holds the passwords of every bus user, "admin" included.
	NATSUsers map[string]string
	// ServiceSecrets are the services' client secrets at iam.
	ServiceSecrets map[string]string
	// DatabaseURL is the cluster's database: Options.DatabaseURL, or the
	// private server's.
	DatabaseURL string
}

// GatewayURL is the front door of the cluster.
func (t *Topology) GatewayURL() string {
	return "http://" + hostPort(t.Options.Host, t.Options.BasePort)
}

// NATSURL is the client URL list of the cluster for user (with password).
func (t *Topology) NATSURL(user string) string {
	var urls []string
	for _, n := range t.Nodes {
		u := url.URL{Scheme: "nats", User: url.UserPassword(user, t.NATSUsers[user]), Host: hostPort(n.Host, n.ClientPort)}
		urls = append(urls, u.String())
	}
	return strings.Join(urls, ",")
}

// Proc returns the process named name.
func (t *Topology) Proc(name string) (Proc, bool) {
	i := slices.IndexFunc(t.Procs, func(p Proc) bool { return p.Name == name })
	if i < 0 {
		return Proc{}, false
	}
	return t.Procs[i], true
}

// Plan lays out the processes; secrets come from secret (random in
// production, fixed in tests) so that a plan can be made again for `down`.
func Plan(o Options, secret func(name string) string) (*Topology, error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	t := &Topology{Options: o, NATSUsers: map[string]string{}, ServiceSecrets: map[string]string{}}
	services := app.ServiceNames()
	var users []NATSUser
	for _, name := range append([]string{"admin"}, services...) {
		t.NATSUsers[name] = secret("nats-" + name)
		hash, err := HashPassword(t.NATSUsers[name], o.BcryptCost)
		if err != nil {
			return nil, err
		}
		u := NATSUser{Name: name, PasswordHash: hash}
		if name != "admin" {
			perms := ServicePermissions(name, o.Namespace)
			u.Permissions = &perms
			t.ServiceSecrets[name] = secret("client-" + name)
		}
		users = append(users, u)
	}
	for i := range NATSNodes {
		t.Nodes = append(t.Nodes, NATSNode{
			Name: fmt.Sprintf("nats-%d", i+1), Host: o.Host,
			ClientPort: o.BasePort + 10 + i, RoutePort: o.BasePort + 20 + i, MonitorPort: o.BasePort + 30 + i,
			StoreDir: filepath.Join(o.RunDir, "nats", fmt.Sprintf("nats-%d", i+1)),
		})
	}
	for _, n := range t.Nodes {
		conf, err := NATSConfig(n, t.Nodes, users)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(o.RunDir, "nats", n.Name+".conf")
		t.Procs = append(t.Procs, Proc{Name: n.Name, Bin: o.NATSBin, Args: []string{"-c", path},
			Addr: hostPort(n.Host, n.MonitorPort), Config: conf, ConfigPath: path})
	}

	if o.DatabaseURL == "" {
		t.Procs = append(t.Procs, o.postgresProc())
		o.DatabaseURL = o.privatePostgresURL()
		t.Options.DatabaseURL = ""
	}
	t.DatabaseURL = o.DatabaseURL
	redisURL := o.RedisURL
	if redisURL == "" {
		addr := hostPort(o.Host, o.BasePort+40)
		redisURL = "redis://" + addr + "/0"
		dir := filepath.Join(o.RunDir, "redis")
		t.Procs = append(t.Procs, Proc{Name: "redis", Bin: o.RedisBin, Addr: addr, TCP: true,
			Args:       []string{"--bind", o.Host, "--port", strconv.Itoa(o.BasePort + 40), "--save", "", "--appendonly", "no", "--dir", dir},
			ConfigPath: filepath.Join(dir, "redis.conf")})
	}
	budget := PostgresBudget
	if _, private := t.Proc("postgres"); private {
		budget = 200 // of the private server's 300
	}
	serviceDB, err := withPoolSize(o.DatabaseURL, o.Instances, budget)
	if err != nil {
		return nil, err
	}
	gateway := t.GatewayURL()
	var peers, creds, upstreams []string
	for _, s := range services {
		peers = append(peers, s+"="+gateway)
		creds = append(creds, s+":"+t.ServiceSecrets[s])
	}
	for k, s := range services {
		for j := range o.Instances {
			addr := hostPort(o.Host, o.BasePort+100+10*k+j)
			upstreams = append(upstreams, s+"=http://"+addr)
			t.Procs = append(t.Procs, Proc{
				Name: fmt.Sprintf("%s-%d", s, j+1), Service: s, Instance: j + 1, Bin: o.OpenhouseBin, Args: []string{"serve"}, Addr: addr,
				// The same names as the Kubernetes manifests (deploy_test.go).
				Env: []string{
					"OPENHOUSE_HTTP_ADDR=" + addr,
					"OPENHOUSE_SERVICES=" + s,
					"OPENHOUSE_DATA_DIR=" + filepath.Join(o.RunDir, "data", fmt.Sprintf("%s-%d", s, j+1)),
					"OPENHOUSE_DATABASE_URL=" + serviceDB,
					"OPENHOUSE_NATS_URL=" + t.NATSURL(s),
					"OPENHOUSE_REDIS_URL=" + redisURL,
					"OPENHOUSE_STREAM_REPLICAS=" + strconv.Itoa(NATSNodes),
					"OPENHOUSE_NAMESPACE=" + o.Namespace,
					"OPENHOUSE_PEERS=" + strings.Join(peers, ","),
					"OPENHOUSE_SERVICE_CREDENTIALS=" + strings.Join(creds, ","),
					"OPENHOUSE_ADMIN_EMAIL=" + o.AdminEmail,
					"OPENHOUSE_ADMIN_PASSWORD=" + o.AdminPassword,
					"OPENHOUSE_LOG_FORMAT=text",
					"OPENHOUSE_TRUSTED_PROXIES=" + o.Host + "/32", // the gateway
					"OPENHOUSE_RATE_LIMITS=" + o.RateLimits,
				},
			})
		}
	}
	t.Procs = append(t.Procs, Proc{
		Name: "gateway", Service: app.GatewayName, Bin: o.OpenhouseBin, Args: []string{"serve"},
		Addr: hostPort(o.Host, o.BasePort),
		Env: []string{
			"OPENHOUSE_HTTP_ADDR=" + hostPort(o.Host, o.BasePort),
			"OPENHOUSE_SERVICES=" + app.GatewayName,
			"OPENHOUSE_UPSTREAMS=" + strings.Join(upstreams, ","),
		},
	})
	return t, nil
}

// EnvNames are the names of the variables p is started with.
func EnvNames(p Proc) []string {
	out := make([]string, len(p.Env))
	for i, kv := range p.Env {
		out[i], _, _ = strings.Cut(kv, "=")
	}
	return out
}

// PostgresBudget is how many connections the services of a cluster may
// hold together on a shared PostgreSQL server: its default max_connections
// is 100, and others use it too.
const PostgresBudget = 64

// withPoolSize gives each service process an equal share of budget (at
// least 2) through the URL's max_conns, unless the URL sets it.
func withPoolSize(raw string, instances, budget int) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("cluster: database URL: %w", err)
	}
	q := u.Query()
	if q.Get("max_conns") == "" {
		q.Set("max_conns", strconv.Itoa(min(16, max(2, budget/(len(app.ServiceNames())*instances)))))
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
