package availability

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// envRedis names the Redis the integration suites use (a database of its
// own: every test works under a random prefix and deletes its keys).
const envRedis = "OPENHOUSE_TEST_REDIS_URL"

// opener makes a fresh, empty index for a test.
type opener func(t testing.TB, opts Options) Index

// eachIndex runs fn against the in-memory index and, when
// OPENHOUSE_TEST_REDIS_URL is set, against Redis, as subtests "memory" and
// "redis".
func eachIndex(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("memory", func(t *testing.T) { fn(t, openMemory) })
	t.Run("redis", func(t *testing.T) {
		if os.Getenv(envRedis) == "" {
			t.Skip(envRedis + " is not set; .ci/run sets it to run this against a real Redis")
		}
		fn(t, func(t testing.TB, opts Options) Index { return openRedis(t, opts) })
	})
}

func openMemory(t testing.TB, opts Options) Index {
	t.Helper()
	m, err := NewMemory(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// openRedis returns a Redis index under a fresh prefix; when the test ends
// it deletes the prefix's keys and checks that none is left.
func openRedis(t testing.TB, opts Options) *Redis {
	t.Helper()
	url := os.Getenv(envRedis)
	if url == "" {
		t.Skip(envRedis + " is not set")
	}
	ro, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", envRedis, err)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	prefix := "test:availability:" + hex.EncodeToString(b)
	idx, err := NewRedis(redis.NewClient(ro), RedisConfig{Options: opts, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	// The cleaner has its own client: the service closes the index's
	// client when its Run returns.
	cleaner, err := NewRedis(redis.NewClient(ro), RedisConfig{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer cleaner.Close()
		defer idx.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cleaner.Reset(ctx); err != nil {
			t.Errorf("delete keys of %s: %v", prefix, err)
		}
		if keys, err := cleaner.Keys(ctx); err != nil || len(keys) > 0 {
			t.Errorf("keys left under %s: %v %v", prefix, keys, err)
		}
	})
	return idx
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// eventually waits for cond, failing the test after a deadline. It polls:
// the conditions are about another goroutine's progress that nothing
// signals (an index fed by a watch).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var chicago = mustZone("America/Chicago")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// downtown is the Chicago Loop; north returns a point km kilometres north.
var downtown = Point{Lat: 41.8781, Lng: -87.6298}

func north(p Point, km float64) Point {
	return Point{Lat: p.Lat + km/earthRadiusKM*180/3.141592653589793, Lng: p.Lng}
}

// everyDay is 08:00-18:00 on all seven days.
func everyDay() []WorkingHours {
	var hs []WorkingHours
	for d := 1; d <= 7; d++ {
		hs = append(hs, WorkingHours{Weekday: d, Start: "08:00", End: "18:00"})
	}
	return hs
}

var profileTime = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// realtorAt is an eligible Chicago realtor working 08:00-18:00 daily.
func realtorAt(id string, p Point, radiusKM float64) Realtor {
	loc := p
	return Realtor{
		ID: id, Location: &loc, ServiceRadiusKM: radiusKM, TimeZone: "America/Chicago",
		WorkingHours: everyDay(), Status: StatusAvailable, Verified: true, Active: true,
		UpdatedAt: profileTime,
	}
}

// at is a Chicago wall-clock time on 2026-12-01 (a Tuesday, CST).
func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-01 "+hhmm, chicago)
	if err != nil {
		panic(err)
	}
	return t
}

func ids(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.RealtorID
	}
	return out
}
