package listing

import (
	"fmt"
	"time"
)

// ProviderStatus mirrors iam's account status.
type ProviderStatus string

// Provider statuses, as iam sends them.
const (
	ProviderActive    ProviderStatus = "active"
	ProviderSuspended ProviderStatus = "suspended"
)

// Provider is listing's copy of a provider account's standing, built from
// iam's events. A provider listing has never heard of is the zero Provider
// with its ID: unverified, and so not allowed to list.
//
// Each attribute remembers the time of the event that set it, and an older
// event never overwrites a newer one. Events of one user normally arrive in
// order, but two outbox relays on PostgreSQL may publish them out of order,
// and a dead letter may be replayed late.
type Provider struct {
	ID         string
	Verified   bool
	VerifiedAt time.Time
	Status     ProviderStatus // "" until iam says (registrations start active)
	StatusAt   time.Time
}

// Active reports whether the provider is not suspended; only then are its
// listings served.
func (p Provider) Active() bool { return p.Status != ProviderSuspended }

// MayList reports whether the provider may create and change listings.
func (p Provider) MayList() bool { return p.Verified && p.Active() }

// Registered applies iam's registration of the account.
func (p *Provider) Registered(verified bool, status ProviderStatus, at time.Time) error {
	if err := status.check(); err != nil {
		return err
	}
	p.SetVerified(verified, at)
	return p.SetStatus(status, at)
}

// SetVerified applies an admin's verification decision made at at, unless
// a later one is already known.
func (p *Provider) SetVerified(verified bool, at time.Time) {
	if at.Before(p.VerifiedAt) {
		return
	}
	p.Verified, p.VerifiedAt = verified, Instant(at)
}

// SetStatus applies a suspension or reactivation made at at, unless a later
// one is already known.
func (p *Provider) SetStatus(s ProviderStatus, at time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	if at.Before(p.StatusAt) {
		return nil
	}
	p.Status, p.StatusAt = s, Instant(at)
	return nil
}

func (s ProviderStatus) check() error {
	if s != ProviderActive && s != ProviderSuspended {
		return fmt.Errorf("unknown account status %q", s)
	}
	return nil
}
