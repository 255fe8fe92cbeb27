package app_test

import (
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/openhouse/openhouse/internal/app"
)

// signIn logs in and returns the access and refresh tokens of the new
// session.
func (c client) signIn(email, password string) (access, refresh string) {
	c.t.Helper()
	status, out := c.call("POST", "/iam/login", "", map[string]string{"email": email, "password": password})
	if status != http.StatusOK {
		c.t.Fatalf("login %s = %d %v", email, status, out)
	}
	return out["access_token"].(string), out["refresh_token"].(string)
}

// becomes polls path with token until it answers want: a revocation
// travels the bus, so it takes effect a few milliseconds after the request
// that made it.
func (c client) becomes(what, path, token string, want int) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := c.call("GET", path, token, nil)
		if status == want {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: GET %s = %d 10 s on, want %d", what, path, status, want)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// is checks that path answers token with want now.
func (c client) is(what, path, token string, want int) {
	c.t.Helper()
	if status, _ := c.call("GET", path, token, nil); status != want {
		c.t.Fatalf("%s: GET %s = %d, want %d", what, path, status, want)
	}
}

// TestSignOutRevokesAccessTokens: signing out ends the session's access
// token in every service of the process, long before it expires, and only
// that session's: the user's other sign-in goes on.
func TestSignOutRevokesAccessTokens(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			_, c := startApp(t, cfg)
			email := "leaver" + time.Now().Format("150405.000000") + "@example.com"
			if status, out := c.call("POST", "/iam/register", "", map[string]string{"email": email, "password": "a leaver's passphrase", "name": "L", "role": "customer"}); status != 201 {
				t.Fatalf("register = %d %v", status, out)
			}
			leaving, refresh := c.signIn(email, "a leaver's passphrase")
			staying, _ := c.signIn(email, "a leaver's passphrase")
			c.is("before sign-out", "/iam/me", leaving, 200)
			c.is("before sign-out", "/cart", leaving, 200)
			if status, out := c.call("POST", "/iam/logout", "", map[string]string{"refresh_token": refresh}); status != http.StatusNoContent {
				t.Fatalf("logout = %d %v", status, out)
			}
			c.becomes("the signed-out session's access token", "/iam/me", leaving, 401)
			c.is("the signed-out session's access token", "/cart", leaving, 401)
			c.is("the user's other session", "/iam/me", staying, 200)
			c.is("the user's other session", "/cart", staying, 200)
		})
	}
}

// sharedBackends are backends whose NATS several processes can share: the
// real servers, and for the embedded one a nats-server this test starts
// on loopback (each process keeps its own SQLite files).
func sharedBackends(t *testing.T) map[string]app.Config {
	out := backends(t)
	cfg := out["embedded"]
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: filepath.Join(t.TempDir(), "nats"), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	cfg.NATSURL = ns.ClientURL()
	delete(out, "embedded")
	out["sqlite and a shared nats-server"] = cfg
	return out
}

// freeAddr is a loopback address nothing listens on, for a process that
// others must know the address of before it starts.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestRevocationsReachEveryProcess runs the distributed shape: one process
// runs iam and most services, another the cart, sharing NATS and nothing
// else (the cart verifies tokens with iam's published keys). A sign-out
// and a suspension made in the first reach the second through the bus; a
// token issued before the suspension stays dead after the reactivation;
// and a cart process that starts after all of it refuses those tokens from
// its first request, having replayed what is in force before it served.
func TestRevocationsReachEveryProcess(t *testing.T) {
	for name, cfg := range sharedBackends(t) {
		t.Run(name, func(t *testing.T) {
			suffix := time.Now().Format("150405.000000")
			cfg.AdminEmail, cfg.AdminPassword = "root"+suffix+"@example.com", "the admin passphrase"
			cfg.ServiceCredentials = map[string]string{}
			for _, s := range app.ServiceNames() {
				cfg.ServiceCredentials[s] = "the secret of " + s + " 0123456789"
			}
			mainAddr := freeAddr(t)
			cartCfg := cfg
			cartCfg.DataDir, cartCfg.Services, cartCfg.AdminEmail, cartCfg.AdminPassword = t.TempDir(), []string{"cart"}, "", ""
			cartCfg.Peers = map[string]string{}
			for _, s := range app.ServiceNames() {
				if s != "cart" {
					cartCfg.Peers[s] = "http://" + mainAddr
				}
			}
			cartApp, cart := startApp(t, cartCfg)
			mainCfg := cfg
			mainCfg.HTTPAddr = mainAddr
			mainCfg.Services = slices.DeleteFunc(app.ServiceNames(), func(s string) bool { return s == "cart" })
			mainCfg.Peers = map[string]string{"cart": "http://" + cartApp.Addr()}
			_, c := startApp(t, mainCfg)

			admin := c.login(cfg.AdminEmail, cfg.AdminPassword)
			email := "roamer" + suffix + "@example.com"
			status, user := c.call("POST", "/iam/register", "", map[string]string{"email": email, "password": "a roamer's passphrase", "name": "R", "role": "customer"})
			if status != 201 {
				t.Fatalf("register = %d %v", status, user)
			}
			signedOut, refresh := c.signIn(email, "a roamer's passphrase")
			beforeSuspension, _ := c.signIn(email, "a roamer's passphrase")
			cart.is("in the cart process", "/cart", signedOut, 200)
			cart.is("in the cart process", "/cart", beforeSuspension, 200)

			if status, out := c.call("POST", "/iam/logout", "", map[string]string{"refresh_token": refresh}); status != http.StatusNoContent {
				t.Fatalf("logout = %d %v", status, out)
			}
			cart.becomes("the cart process learns the sign-out", "/cart", signedOut, 401)
			cart.is("the other session, in the cart process", "/cart", beforeSuspension, 200)

			id := user["id"].(string)
			if status, out := c.call("PATCH", "/iam/users/"+id, admin, map[string]string{"status": "suspended"}); status != 200 {
				t.Fatalf("suspend = %d %v", status, out)
			}
			cart.becomes("the cart process learns the suspension", "/cart", beforeSuspension, 401)
			if status, out := c.call("PATCH", "/iam/users/"+id, admin, map[string]string{"status": "active"}); status != 200 {
				t.Fatalf("reactivate = %d %v", status, out)
			}
			afterReactivation, _ := c.signIn(email, "a roamer's passphrase")
			cart.becomes("the cart process learns the reactivation", "/cart", afterReactivation, 200)
			cart.is("a token from before the suspension, after the reactivation", "/cart", beforeSuspension, 401)

			// A cart process that starts now learns it all before serving.
			lateCfg := cartCfg
			lateCfg.DataDir = t.TempDir()
			_, late := startApp(t, lateCfg)
			late.is("a late process, the signed-out session", "/cart", signedOut, 401)
			late.is("a late process, a token from before the suspension", "/cart", beforeSuspension, 401)
			late.is("a late process, a token from after the reactivation", "/cart", afterReactivation, 200)
		})
	}
}
