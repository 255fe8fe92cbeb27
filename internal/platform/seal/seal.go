// Package seal encrypts small secrets at rest (realtors' calendar URLs,
// homes' access instructions) with AES-256-GCM under the deployment's
// secrets key (OPENHOUSE_SECRETS_KEY or the data directory's secrets.key).
// Each sealed value is bound to the row it belongs to by associated data,
// so a value copied to another row does not open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// ErrOpen is a sealed value that does not open: the key changed, the value
// was damaged, or it belongs to another row.
var ErrOpen = errors.New("seal: the value cannot be opened (the secrets key changed, or it belongs elsewhere)")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// New returns a box under key (KeySize bytes). A nil key means a random
// one: what it seals cannot be opened after the process ends, which is
// only right for tests and throwaway runs.
func New(key []byte) (*Box, error) {
	if key == nil {
		key = make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	if len(key) != KeySize {
		return nil, errors.New("seal: the secrets key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain bound to owner (the id of the row that keeps it):
// a random 96-bit nonce, then the ciphertext and tag.
func (b *Box) Seal(owner string, plain []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return b.aead.Seal(nonce, nonce, plain, []byte(owner)), nil
}

// Open decrypts what Seal returned for the same owner, or ErrOpen.
func (b *Box) Open(owner string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(owner))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
