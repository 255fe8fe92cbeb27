package bus

import (
	"runtime"
	"slices"
	"sync"
	"testing"
)

// Closing the lanes lets the job running finish, tells the jobs still
// queued that they are stopping (the consumer hands their events back), and
// refuses new ones.
func TestLanesCloseHandsBackQueuedJobs(t *testing.T) {
	l := newLanes(1)
	started, release := make(chan struct{}), make(chan struct{})
	var (
		mu       sync.Mutex
		outcomes []string
	)
	note := func(s string) { mu.Lock(); outcomes = append(outcomes, s); mu.Unlock() }
	l.run("a", func(stopping bool) {
		close(started)
		<-release
		note("ran a")
	})
	<-started
	for _, k := range []string{"b", "c"} {
		l.run(k, func(stopping bool) {
			if stopping {
				note("handed back " + k)
				return
			}
			note("ran " + k)
		})
	}
	closed := make(chan struct{})
	go func() { l.close(); close(closed) }()
	for !l.stopping.Load() { // close sets stopping before anything else
		select {
		case <-closed:
			t.Fatal("close returned while a job was running")
		default:
			runtime.Gosched()
		}
	}
	close(release)
	<-closed
	if want := []string{"ran a", "handed back b", "handed back c"}; !slices.Equal(outcomes, want) {
		t.Fatalf("outcomes %v, want %v", outcomes, want)
	}
	if l.run("d", func(bool) { t.Error("a job ran after close") }) {
		t.Fatal("run accepted a job after close")
	}
}
