package iam

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// Delegators says which services may act for users, and with which scopes
// (auth.ScopeRespondToAssignment): the notification service confirms or
// declines a realtor's assignment when they answer Y or N to its text from
// their verified phone.
var delegators = map[string][]string{"notification": {auth.ScopeRespondToAssignment}}

// DelegatedTTL is the life of a delegated token: one call.
const delegatedTTL = time.Minute

// ErrNotDelegable: the service may not act for that user with that scope.
var errNotDelegable = errors.New("not allowed to act for that user")

// DelegatedToken checks the service's credentials and issues a token of
// the user limited to scope, carrying the service as its actor (RFC 8693's
// act claim). Only an active user whose role the scope allows can be acted
// for, and only by a service Delegators lists for the scope.
func (s *Service) DelegatedToken(ctx context.Context, clientID, secret, subject, scope string) (tokens, error) {
	if _, err := s.ServiceToken(clientID, secret); err != nil {
		return tokens{}, err
	}
	if !slices.Contains(delegators[clientID], scope) {
		return tokens{}, errNotDelegable
	}
	u, err := s.store.UserByID(ctx, subject)
	if err != nil || u.Status != statusActive || !auth.ScopeFor(scope, auth.Role(u.Role)) {
		return tokens{}, errNotDelegable
	}
	p := auth.Principal{ID: u.ID, Role: auth.Role(u.Role), Scope: scope, Actor: auth.ServicePrincipal(clientID).ID}
	tok, ttl, err := s.issuer.IssueDelegated(p, u.TokensValidFrom, delegatedTTL)
	if err != nil {
		return tokens{}, err
	}
	s.cfg.Log.InfoContext(ctx, "delegated token issued", "user_id", u.ID, "actor", clientID, "scope", scope)
	return tokens{AccessToken: tok, ExpiresIn: ttl}, nil
}
