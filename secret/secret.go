// Package secret seals instance passwords for storage (AEAD,
// XChaCha20-Poly1305) and keeps the portal's generated keys in the data
// directory: the sealing key and the session keys. Nothing outside it sees a
// key's bytes except through the types here.
package secret

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sealer encrypts and authenticates small secrets. It is safe for
// concurrent use.
type Sealer struct {
	aead cipher.AEAD // stateless: built once, shared by every call
}

// NewSealer returns a sealer with a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("sealing key must be %d bytes, got %d", chacha20poly1305.KeySize, len(key))
	}
	aead, err := chacha20poly1305.NewX(key) // keeps its own copy of key
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext; aad binds it to its context (the request token),
// so a sealed value moved to another row does not open.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := s.aead
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts what Seal produced with the same aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	aead := s.aead
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("sealed value too short")
	}
	nonce, box := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, box, aad)
	if err != nil {
		return nil, errors.New("sealed value does not open with this key")
	}
	return plain, nil
}

// LoadKey returns the key configured (hex or base64 text), or else the key
// kept in dir/name, generating it (n random bytes, file mode 0600) the first
// time.
func LoadKey(configured, dir, name string, n int) ([]byte, error) {
	if configured != "" {
		k, err := decodeKey(configured)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(k) != n {
			return nil, fmt.Errorf("%s: want %d bytes, got %d", name, n, len(k))
		}
		return k, nil
	}
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil {
		k, err := decodeKey(strings.TrimSpace(string(b)))
		if err != nil || len(k) != n {
			return nil, fmt.Errorf("key file %s is damaged: remove it to generate a new one (sealed passwords and sessions are then lost)", path)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Written whole to a temporary file, then linked into place: a process
	// starting at the same moment never reads a half-written key, and the
	// two agree on the first key linked.
	f, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(hex.EncodeToString(k) + "\n")
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp, path); errors.Is(err, os.ErrExist) {
		return LoadKey("", dir, name, n)
	} else if err != nil {
		return nil, err
	}
	return k, nil
}

func decodeKey(s string) ([]byte, error) {
	if k, err := hex.DecodeString(s); err == nil {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil {
		return k, nil
	}
	return nil, errors.New("key must be hex or base64")
}
