package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// ServiceCredentialsSetting names the setting ParseServiceCredentials reads.
const ServiceCredentialsSetting = "OPENHOUSE_SERVICE_CREDENTIALS"

// MinSecretLength is the shortest client secret ParseServiceCredentials
// accepts.
const MinSecretLength = 16

// ServiceCredential is one service's OAuth 2.0 client id and secret.
type ServiceCredential struct {
	ClientID string // the service name, e.g. "cart"
	Secret   string
}

// ParseServiceCredentials reads the OPENHOUSE_SERVICE_CREDENTIALS setting,
// "cart:secret1,tour:secret2", into client id -> secret. Spaces around
// entries are ignored; an empty setting is an empty map. Client ids are
// lower-case service names ([a-z0-9_-]); secrets are at least
// MinSecretLength characters and cannot contain ','. Errors name the setting
// and the entry, never the secret.
func ParseServiceCredentials(s string) (map[string]string, error) {
	out := make(map[string]string)
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			if strings.TrimSpace(s) == "" {
				break
			}
			return nil, fmt.Errorf("%s: entry %d is empty; want client:secret,client:secret", ServiceCredentialsSetting, i+1)
		}
		id, secret, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%s: entry %d has no ':'; want client:secret", ServiceCredentialsSetting, i+1)
		}
		if !validClientID(id) {
			return nil, fmt.Errorf("%s: entry %d: client id %q must be 1 to 64 characters of [a-z0-9_-]", ServiceCredentialsSetting, i+1, id)
		}
		if len(secret) < MinSecretLength {
			return nil, fmt.Errorf("%s: the secret of %q is shorter than %d characters", ServiceCredentialsSetting, id, MinSecretLength)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("%s: client %q is listed twice", ServiceCredentialsSetting, id)
		}
		out[id] = secret
	}
	return out, nil
}

func validClientID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// CheckSecret reports whether got equals want, in time that depends on
// neither (both are hashed with SHA-256 first, so not even their lengths
// leak). An empty want never matches, so a missing configuration fails
// closed.
func CheckSecret(want, got string) bool {
	if want == "" {
		return false
	}
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1
}

// ClientCredentialsFrom reads the HTTP Basic client authentication of a token
// request (RFC 6749 §2.3.1): both halves are form-urlencoded before Basic
// encoding, as TokenSource sends them. ok is false without Basic credentials.
// It is iam's side of TokenSource; iam then checks grant_type and the secret.
func ClientCredentialsFrom(r *http.Request) (cred ServiceCredential, ok bool) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return ServiceCredential{}, false
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return ServiceCredential{}, false
	}
	return ServiceCredential{ClientID: id, Secret: secret}, true
}

// TokenSource timings.
const (
	// TokenRefreshMargin is how long before expiry a cached token is
	// replaced (half the lifetime for tokens shorter than twice this).
	TokenRefreshMargin = time.Minute
	// TokenRequestTimeout bounds one token request.
	TokenRequestTimeout = 5 * time.Second

	maxTokenResponseBytes = 1 << 20
)

// TokenSource gets a service its access token with the OAuth 2.0 client
// credentials grant (RFC 6749 §4.4) and caches it until TokenRefreshMargin
// before it expires. Concurrent callers share one request. If a refresh fails
// while the cached token has not yet expired, the cached token is returned.
// Safe for concurrent use.
type TokenSource struct {
	url   string
	cred  ServiceCredential
	http  *http.Client
	clock clock.Clock

	refreshing chan struct{} // a one-slot semaphore: the holder refreshes

	mu        sync.Mutex
	token     string
	refreshAt time.Time
	expiresAt time.Time
}

// NewTokenSource returns a TokenSource that asks tokenURL (iam's
// POST /iam/token) for tokens as cred. A nil httpClient means one with a
// TokenRequestTimeout timeout; a nil clk means clock.Real.
func NewTokenSource(tokenURL string, cred ServiceCredential, httpClient *http.Client, clk clock.Clock) *TokenSource {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: TokenRequestTimeout}
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &TokenSource{url: tokenURL, cred: cred, http: httpClient, clock: clk, refreshing: make(chan struct{}, 1)}
}

// Token returns an access token for the Authorization: Bearer header of a
// call to another service.
func (ts *TokenSource) Token(ctx context.Context) (string, error) {
	if tok, fresh, _ := ts.cached(); fresh {
		return tok, nil
	}
	select {
	case ts.refreshing <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-ts.refreshing }()

	tok, fresh, usable := ts.cached() // another caller may just have refreshed
	if fresh {
		return tok, nil
	}
	now := ts.clock.Now()
	newTok, expiresIn, err := ts.request(ctx)
	if err != nil {
		if usable {
			return tok, nil
		}
		return "", fmt.Errorf("auth: get service token for %q: %w", ts.cred.ClientID, err)
	}
	margin := min(TokenRefreshMargin, expiresIn/2)
	ts.mu.Lock()
	ts.token, ts.expiresAt, ts.refreshAt = newTok, now.Add(expiresIn), now.Add(expiresIn-margin)
	ts.mu.Unlock()
	return newTok, nil
}

// cached returns the cached token; fresh means it needs no refresh yet,
// usable that it has not expired.
func (ts *TokenSource) cached() (tok string, fresh, usable bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token == "" {
		return "", false, false
	}
	now := ts.clock.Now()
	return ts.token, now.Before(ts.refreshAt), now.Before(ts.expiresAt)
}

// tokenResponse is the successful (RFC 6749 §5.1) or error (§5.2) answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Error       string `json:"error"`
}

func (ts *TokenSource) request(ctx context.Context) (string, time.Duration, error) {
	return ts.post(ctx, url.Values{"grant_type": {"client_credentials"}})
}

// Delegated asks iam for a short-lived token of the user subject limited to
// scope (a token exchange, RFC 8693, impersonation form: this service
// vouches that the user asked for this, e.g. by replying to a text from
// their verified phone). iam grants it only to services allowed that
// scope. It is not cached: each act gets its own.
func (ts *TokenSource) Delegated(ctx context.Context, subject, scope string) (string, error) {
	tok, _, err := ts.post(ctx, url.Values{"grant_type": {GrantTokenExchange}, "requested_subject": {subject}, "scope": {scope}})
	if err != nil {
		return "", fmt.Errorf("auth: delegated token for %s: %w", scope, err)
	}
	return tok, nil
}

func (ts *TokenSource) post(ctx context.Context, form url.Values) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, TokenRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(ts.cred.ClientID), url.QueryEscape(ts.cred.Secret))
	resp, err := ts.http.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()

	var tr tokenResponse
	decodeErr := json.NewDecoder(io.LimitReader(resp.Body, maxTokenResponseBytes)).Decode(&tr)
	if resp.StatusCode != http.StatusOK {
		if decodeErr == nil && validOAuthError(tr.Error) {
			return "", 0, fmt.Errorf("token endpoint answered %d %s", resp.StatusCode, tr.Error)
		}
		return "", 0, fmt.Errorf("token endpoint answered %d", resp.StatusCode)
	}
	switch {
	case decodeErr != nil:
		return "", 0, fmt.Errorf("decode token response: %w", decodeErr)
	case tr.AccessToken == "":
		return "", 0, errors.New("token response has no access_token")
	case !strings.EqualFold(tr.TokenType, "Bearer"):
		return "", 0, fmt.Errorf("token response has token_type %q, want Bearer", tr.TokenType)
	case tr.ExpiresIn <= 0:
		return "", 0, errors.New("token response has no positive expires_in")
	}
	// A day is far beyond any TTL iam issues; the clamp keeps a wild value
	// from overflowing time.Duration.
	return tr.AccessToken, time.Duration(min(tr.ExpiresIn, 86400)) * time.Second, nil
}

// validOAuthError reports whether code looks like an RFC 6749 error code, so
// only such a short, plain word from the response reaches our error text.
func validOAuthError(code string) bool {
	if code == "" || len(code) > 40 {
		return false
	}
	for _, c := range code {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}
