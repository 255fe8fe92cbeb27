package httpapi_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Calls made concurrently to one peer reuse their connections on the next
// round instead of dialling again (the default transport keeps 2).
func TestPeerTransportKeepsConnectionsToAPeer(t *testing.T) {
	const parallel = 8
	var dialled atomic.Int32
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		arrived.Wait() // every request of the round in flight at once: one connection each
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := &http.Client{Transport: httpapi.PeerTransport()}
	round := func() {
		arrived.Add(parallel)
		var done sync.WaitGroup
		for range parallel {
			done.Add(1)
			go func() {
				defer done.Done()
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}()
		}
		done.Wait()
	}
	round()
	first := dialled.Load()
	round()
	if again := dialled.Load() - first; again != 0 {
		t.Fatalf("second round dialled %d new connections (first %d); want them reused", again, first)
	}
}
