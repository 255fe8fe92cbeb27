package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/seal"
)

func TestSealOpens(t *testing.T) {
	key := bytes.Repeat([]byte{7}, seal.KeySize)
	b, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := b.Seal("row-1", []byte("lockbox 4821"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("4821")) {
		t.Fatal("the sealed value holds the plain text")
	}
	again, _ := b.Seal("row-1", []byte("lockbox 4821"))
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	plain, err := b.Open("row-1", sealed)
	if err != nil || string(plain) != "lockbox 4821" {
		t.Fatalf("open = %q, %v", plain, err)
	}
	other, _ := seal.New(bytes.Repeat([]byte{8}, seal.KeySize))
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"another row": func() ([]byte, error) { return b.Open("row-2", sealed) },
		"another key": func() ([]byte, error) { return other.Open("row-1", sealed) },
		"tampered":    func() ([]byte, error) { return b.Open("row-1", tampered) },
		"truncated":   func() ([]byte, error) { return b.Open("row-1", sealed[:5]) },
	} {
		if _, err := try(); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
	if _, err := seal.New([]byte("short")); err == nil {
		t.Error("a 5-byte key was taken")
	}
}
