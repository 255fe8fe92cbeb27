package bus

import (
	"hash/fnv"
	"sync"
	"sync/atomic"
)

// lanes runs a consumer's handlers on a fixed number of goroutines, each
// event on the lane of its CloudEvents subject (the aggregate it is about:
// a tour, a payment, a user). Events about one thing are handled one at a
// time in stream order; events about different things run side by side.
//
// Why: a handler spends most of its time waiting (for the database's
// writer, for another service's HTTP answer, for a core on a busy
// machine), so a consumer that handles one event at a time completes at
// most 1/(handler time) events per second, however idle the machine is,
// and its backlog, not the work, makes the saga slow. Consumers are written
// for redelivery and for reordering across things already (inbox, newest
// news wins, per-realtor locks), since several processes may share one
// durable consumer; the lanes add nothing they must not already survive.
type lanes struct {
	queues   []chan func(stopping bool)
	wg       sync.WaitGroup
	stopping atomic.Bool

	mu     sync.RWMutex // run holds it shared, close exclusively
	closed bool
}

// laneDepth is how many events wait per lane before the consumer's
// callback blocks, which stops the NATS client from reading further.
const laneDepth = 64

func newLanes(n int) *lanes {
	l := &lanes{queues: make([]chan func(bool), n)}
	for i := range l.queues {
		q := make(chan func(bool), laneDepth)
		l.queues[i] = q
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for job := range q {
				job(l.stopping.Load())
			}
		}()
	}
	return l
}

// run queues job on key's lane, blocking while that lane is full, and
// reports false (job not queued) once the lanes are closed. The job learns
// whether the lanes are stopping when its turn comes, so that events still
// queued at shutdown are handed back instead of handled.
func (l *lanes) run(key string, job func(stopping bool)) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false
	}
	l.queues[laneOf(key, len(l.queues))] <- job
	return true
}

// laneOf is the lane of key among n. It is the same in every process and
// every run (FNV-1a, not a seeded hash), so that which things share a lane
// can be known, and tested, ahead of time; subjects are chosen by our own
// services, so there is no flooding attacker to randomise against.
func laneOf(key string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(key))
	return int(h.Sum64() % uint64(n))
}

// close lets the jobs running finish, gives the queued ones stopping=true,
// and waits for all of them. A run blocked on a full lane gets its place
// first: the stopping jobs ahead of it return at once.
func (l *lanes) close() {
	l.stopping.Store(true)
	l.mu.Lock()
	l.closed = true
	for _, q := range l.queues {
		close(q)
	}
	l.mu.Unlock()
	l.wg.Wait()
}
