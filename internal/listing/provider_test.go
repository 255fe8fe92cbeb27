package listing

import (
	"testing"
	"time"
)

// TestProviderLastWriterWins: each attribute follows the newest event that
// set it, in whatever order the events arrive.
func TestProviderLastWriterWins(t *testing.T) {
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	type step func(p *provider) error
	reg := func(v bool, s providerStatus, m int) step {
		return func(p *provider) error { return p.Registered(v, s, at(m)) }
	}
	ver := func(v bool, m int) step {
		return func(p *provider) error { p.SetVerified(v, at(m)); return nil }
	}
	status := func(s providerStatus, m int) step {
		return func(p *provider) error { return p.SetStatus(s, at(m)) }
	}
	tests := []struct {
		name                  string
		steps                 []step
		verified, active, may bool
	}{
		{"never heard of", nil, false, true, false},
		{"registered", []step{reg(false, providerActive, 0)}, false, true, false},
		{"registered then verified", []step{reg(false, providerActive, 0), ver(true, 1)}, true, true, true},
		{"verified before registration arrives", []step{ver(true, 1), reg(false, providerActive, 0)}, true, true, true},
		{"suspended", []step{reg(false, providerActive, 0), ver(true, 1), status(providerSuspended, 2)}, true, false, false},
		{"suspension and reactivation out of order", []step{ver(true, 1), status(providerActive, 3), status(providerSuspended, 2)}, true, true, true},
		{"reactivation and suspension out of order", []step{ver(true, 1), status(providerSuspended, 3), status(providerActive, 2)}, true, false, false},
		{"unverified later", []step{ver(true, 1), ver(false, 2)}, false, true, false},
		{"old verification after an unverification", []step{ver(false, 2), ver(true, 1)}, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := provider{ID: "p1"}
			for _, s := range tt.steps {
				if err := s(&p); err != nil {
					t.Fatal(err)
				}
			}
			if p.Verified != tt.verified || p.Active() != tt.active || p.MayList() != tt.may {
				t.Fatalf("verified=%v active=%v may list=%v, want %v %v %v",
					p.Verified, p.Active(), p.MayList(), tt.verified, tt.active, tt.may)
			}
		})
	}
}

func TestProviderRejectsUnknownStatus(t *testing.T) {
	p := provider{ID: "p1"}
	if err := p.SetStatus("banned", t0); err == nil {
		t.Fatal("SetStatus(banned) succeeded")
	}
	if err := p.Registered(true, "", t0); err == nil {
		t.Fatal("Registered with no status succeeded")
	}
	if p.Status != "" || p.Verified {
		t.Fatalf("a rejected event changed the provider: %+v", p)
	}
}
