package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// TestBusOverTLS starts nats-server with TLS and client verification and
// connects the bus with OPENHOUSE_NATS_TLS_* (bus.Config.TLS*): with the CA
// and a client certificate it publishes; without the CA it is refused.
func TestBusOverTLS(t *testing.T) {
	natsBin := natsServerBin(t)
	dir := t.TempDir()
	ca, caKey := newCert(t, dir, "ca", nil, nil)
	newCert(t, dir, "server", ca, caKey)
	newCert(t, dir, "client", ca, caKey)
	port := freeBase(t)
	conf := fmt.Sprintf(`listen: "127.0.0.1:%d"
jetstream { store_dir: %q }
tls { cert_file: %q, key_file: %q, ca_file: %q, verify: true }
`, port, filepath.Join(dir, "js"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.pem"))
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := start(Proc{Name: "nats-tls", Bin: natsBin, Args: []string{"-c", confPath}}, filepath.Join(dir, "logs"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { signalAndWait(r.cmd.Process.Pid, 15, r.done, 10*time.Second) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitListening(ctx, "nats-tls", addr, r.done); err != nil {
		t.Fatal(err)
	}
	cfg := bus.Config{URL: "tls://" + addr, Namespace: "tlstest", Logger: slog.New(slog.DiscardHandler),
		TLSCA: filepath.Join(dir, "ca.pem"), TLSCert: filepath.Join(dir, "client.pem"), TLSKey: filepath.Join(dir, "client.key")}
	b, err := bus.Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect over TLS: %v", err)
	}
	defer b.Close()
	ev, _ := bus.NewEvent(ctx, paymentSucceeded, "payments/tls", map[string]string{"id": "tls"}, time.Now())
	if err := b.Publish(ctx, ev); err != nil {
		t.Fatalf("publish over TLS: %v", err)
	}
	noCA := cfg
	noCA.TLSCA = ""
	b2, err := bus.Connect(ctx, noCA)
	t.Logf("without the CA: %v", err)
	if err == nil {
		b2.Close()
		t.Fatal("connected without trusting the servers' CA")
	}
}

// newCert writes name.pem and name.key: a CA when parent is nil, else a
// certificate for 127.0.0.1 signed by parent.
func newCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "openhouse test " + name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, path), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(name+".pem", "CERTIFICATE", der)
	write(name+".key", "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
