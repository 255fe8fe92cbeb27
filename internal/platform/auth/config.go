package auth

import (
	"fmt"
	"time"
)

// Defaults shared by IssuerConfig and VerifierConfig. Issuer and Audience
// must agree between iam and every service, so they are the same constant
// everywhere unless a deployment overrides both sides.
const (
	DefaultIssuer   = "openhouse"
	DefaultAudience = "openhouse"
	DefaultTTL      = 15 * time.Minute
	DefaultMaxSkew  = 30 * time.Second

	// MaxTTL bounds the token lifetime, and with it how long a suspended
	// user's token can outlive the suspension where Revoked is not wired.
	MaxTTL = time.Hour
	// MaxMaxSkew bounds the clock skew a verifier tolerates.
	MaxMaxSkew = 5 * time.Minute
)

func validateSkew(setting string, skew time.Duration) error {
	if skew < 0 || skew > MaxMaxSkew {
		return fmt.Errorf("auth: %s is %s; it must be between 0 and %s", setting, skew, MaxMaxSkew)
	}
	return nil
}
