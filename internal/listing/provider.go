package listing

import (
	"fmt"
	"time"
)

// providerStatus mirrors iam's account status.
type providerStatus string

// Provider statuses, as iam sends them.
const (
	providerActive    providerStatus = "active"
	providerSuspended providerStatus = "suspended"
)

// provider is listing's copy of a provider account's standing, built from
// iam's events. A provider listing has never heard of is the zero provider
// with its ID: unverified, and so not allowed to list.
//
// Each attribute remembers the time of the event that set it, and an older
// event never overwrites a newer one. Events of one user normally arrive in
// order, but two outbox relays on PostgreSQL may publish them out of order,
// and a dead letter may be replayed late.
type provider struct {
	ID         string
	Verified   bool
	VerifiedAt time.Time
	Status     providerStatus // "" until iam says (registrations start active)
	StatusAt   time.Time
}

// Active reports whether the provider is not suspended; only then are its
// listings served.
func (p provider) Active() bool { return p.Status != providerSuspended }

// MayList reports whether the provider may create and change listings.
func (p provider) MayList() bool { return p.Verified && p.Active() }

// Registered applies iam's registration of the account.
func (p *provider) Registered(verified bool, status providerStatus, at time.Time) error {
	if err := status.check(); err != nil {
		return err
	}
	p.SetVerified(verified, at)
	return p.SetStatus(status, at)
}

// SetVerified applies an admin's verification decision made at at, unless
// a later one is already known.
func (p *provider) SetVerified(verified bool, at time.Time) {
	if at.Before(p.VerifiedAt) {
		return
	}
	p.Verified, p.VerifiedAt = verified, instant(at)
}

// SetStatus applies a suspension or reactivation made at at, unless a later
// one is already known.
func (p *provider) SetStatus(s providerStatus, at time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	if at.Before(p.StatusAt) {
		return nil
	}
	p.Status, p.StatusAt = s, instant(at)
	return nil
}

func (s providerStatus) check() error {
	if s != providerActive && s != providerSuspended {
		return fmt.Errorf("unknown account status %q", s)
	}
	return nil
}
