package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openhouse/openhouse/internal/availability"
)

// buildAvailability wires the availability index: Redis when
// OPENHOUSE_REDIS_URL is set (shared by every process pointed at it),
// otherwise in memory. Either way the service fills it from the iam and
// appointment streams when it starts.
func buildAvailability(ctx context.Context, e env) (component, error) {
	var index availability.Index
	if e.Config.RedisURL == "" {
		mem, err := availability.NewMemory(availability.Options{})
		if err != nil {
			return nil, err
		}
		index = mem
	} else {
		opts, err := redis.ParseURL(e.Config.RedisURL)
		if err != nil {
			// The URL may hold a password: name the setting, not its value.
			return nil, errors.New("OPENHOUSE_REDIS_URL is not a valid redis:// or rediss:// URL")
		}
		client := redis.NewClient(opts)
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := client.Ping(pingCtx).Err(); err != nil {
			client.Close()
			return nil, fmt.Errorf("redis at OPENHOUSE_REDIS_URL (%s) does not answer: %w", opts.Addr, err)
		}
		// Independent systems sharing one Redis (OPENHOUSE_NAMESPACE) keep
		// their indexes apart, as they do their streams and schemas.
		prefix := "openhouse:availability"
		if e.Config.Namespace != "" {
			prefix += ":" + e.Config.Namespace
		}
		idx, err := availability.NewRedis(client, availability.RedisConfig{Prefix: prefix})
		if err == nil {
			err = idx.CheckServer(pingCtx)
		}
		if err != nil {
			client.Close()
			return nil, fmt.Errorf("OPENHOUSE_REDIS_URL: %w", err)
		}
		index = idx
	}
	return availability.New(index, e.Bus, availability.Config{Clock: e.Clock, Log: e.Log})
}
