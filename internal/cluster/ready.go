package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// waitJetStream waits until the cluster can place a stream with NATSNodes
// replicas: the nodes answer /healthz as soon as a meta leader is known,
// a little before stream creation stops timing out.
func (c *Cluster) waitJetStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	nc, err := nats.Connect(c.T.NATSURL("admin"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("cluster: connect to NATS as admin: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	name := "OPENHOUSE_CLUSTER_READY"
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		_, err = js.CreateOrUpdateStream(attempt, jetstream.StreamConfig{Name: name, Subjects: []string{"openhouse.cluster.ready"},
			Replicas: NATSNodes, Storage: jetstream.MemoryStorage})
		cancelAttempt()
		if err == nil {
			return js.DeleteStream(ctx, name)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: JetStream cannot place an R%d stream: %w", NATSNodes, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ensureDatabase creates the cluster's database before any service starts,
// so that the services (which would create it too) do not race to.
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	u, err := url.Parse(c.T.DatabaseURL)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("cluster: connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") {
		return fmt.Errorf("cluster: create database %s: %w", name, err)
	}
	// A safety net for a shared server: the cluster cannot take every
	// connection from the server's other users.
	_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s CONNECTION LIMIT %d", pgx.Identifier{name}.Sanitize(), PostgresBudget+8))
	return err
}
