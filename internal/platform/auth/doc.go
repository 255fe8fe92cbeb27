// Package auth is how openhouse services know who is calling: iam signs
// short-lived access tokens with Ed25519 keys (EdDSA JWTs carrying kid, iss,
// aud, sub, role and, for service identities, svc) and every service verifies
// them locally, with the public keys iam publishes at /.well-known/jwks.json.
//
// It is mechanism only: no iam endpoints and no SQL live here.
//
//   - Principal and Role say who is calling (principal.go).
//   - Key, KeyStore and MemoryKeyStore hold the signing keys (keys.go).
//   - Issuer signs tokens, rotates keys and publishes the JWKS (issuer.go).
//   - Verifier checks a token against a KeySource: the Issuer itself in
//     iam, a JWKSClient everywhere else (verifier.go, jwks_client.go).
//   - Revocations remembers, for as long as their tokens can live, the
//     sessions signed out and the users suspended or reactivated, and
//     refuses the tokens they void (revocations.go).
//   - Authenticate puts the caller in the request context; Require lets
//     only the roles or services of a Rule through (middleware.go).
//   - TokenSource gets a service its own token with OAuth 2.0 client
//     credentials; ParseServiceCredentials and CheckSecret are iam's side
//     of it (client_credentials.go).
//
// A service wires it like this:
//
//	v := auth.NewVerifier(auth.NewJWKSClient(iamURL+"/.well-known/jwks.json", nil, clk),
//		auth.VerifierConfig{Clock: clk, Revoked: revocations.Revoked})
//	h := httpapi.Chain(mux, httpapi.RequestID, httpapi.Logging(l), auth.Authenticate(v))
//	mux.Handle("POST /payments", auth.Require(auth.Services("cart"), createPayment))
//	mux.Handle("GET /payments", auth.Require(auth.Users(auth.RoleAdmin), listPayments))
//
// User roles and service identities are kept apart on purpose: a Rule lists
// the user roles and the services it admits separately, so a service token is
// never accepted where a user must act, and a user token never where only a
// service may call.
package auth
