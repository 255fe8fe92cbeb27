package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
)

// TestChaos is the fault run of the distributed mode (issue 8): while
// bookings run through the gateway, service processes are killed with
// SIGKILL at random (each service OPENHOUSE_CHAOS_KILLS times, default 10)
// and restarted, one NATS node is killed and brought back, the Redis of the
// availability index is killed and restarted empty, and the cluster's own
// PostgreSQL server is killed with SIGKILL and restarted after 5 s (crash
// recovery from its WAL). Then the
// databases and streams must show every paid booking scheduled or refunded,
// no event lost, no charge, booking or notification twice.
//
// It runs when OPENHOUSE_CHAOS=1 (minutes; see docs/distributed.md for the
// figures of the full run); OPENHOUSE_CHAOS_INSTANCES (default 2) and
// OPENHOUSE_CHAOS_RATE (bookings/s, default 6) tune it.
func TestChaos(t *testing.T) {
	if os.Getenv("OPENHOUSE_CHAOS") == "" {
		t.Skip("set OPENHOUSE_CHAOS=1 to run the chaos run (minutes)")
	}
	kills := envInt(t, "OPENHOUSE_CHAOS_KILLS", 10)
	instances := envInt(t, "OPENHOUSE_CHAOS_INSTANCES", 2)
	rate := float64(envInt(t, "OPENHOUSE_CHAOS_RATE", 6))
	c, chk := upCluster(t, instances)

	// The schedule: every service `kills` times, in random order, one kill
	// every `gap`; the NATS node, Redis and PostgreSQL faults at a third, a
	// half and two thirds of the way.
	var schedule []string
	for _, s := range app.ServiceNames() {
		for range kills {
			schedule = append(schedule, s)
		}
	}
	rand.Shuffle(len(schedule), func(i, j int) { schedule[i], schedule[j] = schedule[j], schedule[i] })
	gap := 1200 * time.Millisecond
	loadFor := time.Duration(len(schedule)+4)*gap + 10*time.Second

	l := startLoad(t, c, rate, loadFor)
	<-l.seeded
	ch := &chaos{t: t, c: c, busy: map[string]bool{}, killed: map[string]int{}}
	started := time.Now()
	for i, svc := range schedule {
		switch i {
		case len(schedule) / 3:
			ch.outage("nats-2", 8*time.Second)
		case len(schedule) / 2:
			ch.outage("redis", 2*time.Second)
		case 2 * len(schedule) / 3:
			ch.outage("postgres", 5*time.Second)
		}
		ch.killOne(svc, instances)
		time.Sleep(gap) // the pace of the faults, not synchronisation
	}
	ch.wg.Wait()
	t.Logf("faults done in %s: %v", time.Since(started).Round(time.Second), ch.killed)
	rep := l.wait(t)
	t.Logf("bench: %d checkouts 201 (%.1f/s), %d scheduled, %d unassigned, %d not settled in time; p99 checkout->scheduled %.0f ms",
		rep.Bookings.Checkouts, rep.Bookings.PerSecond, rep.Bookings.Scheduled, rep.Bookings.Unassigned, rep.Bookings.TimedOut, rep.Bookings.P99MS)

	v := settle(t, chk, 5*time.Minute)
	t.Logf("verdict: %s", v)
	for _, p := range v.Problems {
		t.Log("problem:", p)
	}
	if !v.OK() {
		t.Error("the databases and streams show losses or duplicates")
	}
	if v.Paid == 0 || int64(v.Paid) < rep.Bookings.Checkouts {
		t.Errorf("%d paid bookings in the database, %d checkouts answered 201", v.Paid, rep.Bookings.Checkouts)
	}
	for _, s := range app.ServiceNames() {
		if ch.killed[s] < kills {
			t.Errorf("%s killed %d times, want %d", s, ch.killed[s], kills)
		}
	}
	if ch.killed["nats-2"] != 1 || ch.killed["redis"] != 1 || ch.killed["postgres"] != 1 {
		t.Errorf("infrastructure faults: %v", ch.killed)
	}
	if path := os.Getenv("OPENHOUSE_CHAOS_REPORT"); path != "" {
		line := fmt.Sprintf("instances %d, rate %.0f/s, kills %v\nbench: checkouts %d (%.1f/s), scheduled %d, unassigned %d, timed out %d, p50 %.0f ms, p99 %.0f ms\nverdict: %s\n",
			instances, rate, ch.killed, rep.Bookings.Checkouts, rep.Bookings.PerSecond, rep.Bookings.Scheduled, rep.Bookings.Unassigned,
			rep.Bookings.TimedOut, rep.Bookings.P50MS, rep.Bookings.P99MS, v)
		_ = os.WriteFile(path, []byte(line), 0o644)
	}
}

// chaos kills and restarts processes, never one that is still restarting.
type chaos struct {
	t      *testing.T
	c      *Cluster
	wg     sync.WaitGroup
	mu     sync.Mutex
	busy   map[string]bool
	killed map[string]int
}

// killOne SIGKILLs a random instance of service that is up and restarts it
// after 0-1 s.
func (ch *chaos) killOne(service string, instances int) {
	order := rand.Perm(instances)
	for _, i := range order {
		name := fmt.Sprintf("%s-%d", service, i+1)
		ch.mu.Lock()
		if ch.busy[name] {
			ch.mu.Unlock()
			continue
		}
		ch.busy[name] = true
		ch.killed[service]++
		ch.mu.Unlock()
		ch.c.Kill(name)
		ch.restartAfter(name, rand.N(time.Second))
		return
	}
	ch.t.Logf("every instance of %s is restarting; that kill waits for the next turn", service)
	ch.wg.Wait()
	ch.killOne(service, instances)
}

// outage SIGKILLs an infrastructure process and restarts it after down.
func (ch *chaos) outage(name string, down time.Duration) {
	ch.mu.Lock()
	ch.busy[name] = true
	ch.killed[name]++
	ch.mu.Unlock()
	ch.t.Logf("kill -9 %s for %s", name, down)
	ch.c.Kill(name)
	ch.restartAfter(name, down)
}

func (ch *chaos) restartAfter(name string, after time.Duration) {
	ch.wg.Add(1)
	go func() {
		defer ch.wg.Done()
		time.Sleep(after) // the length of the outage
		if err := ch.c.Start(context.Background(), name); err != nil {
			ch.t.Errorf("restart %s: %v", name, err)
		}
		ch.mu.Lock()
		ch.busy[name] = false
		ch.mu.Unlock()
	}()
}
