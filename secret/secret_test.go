package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("Passw0rdX"), []byte("token-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Passw0rdX")) {
		t.Fatal("sealed value holds the plaintext")
	}
	got, err := s.Open(sealed, []byte("token-1"))
	if err != nil || string(got) != "Passw0rdX" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.Open(sealed, []byte("token-2")); err == nil {
		t.Fatal("opened with another aad")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, []byte("token-1")); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := s.Open([]byte("short"), nil); err == nil {
		t.Fatal("opened garbage")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestLoadKeyGeneratesOnceThenReuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, err := LoadKey("", dir, "secret.key", 32)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey("", dir, "secret.key", 32)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load differs: %v", err)
	}
	fi, _ := os.Stat(filepath.Join(dir, "secret.key"))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	conf, err := LoadKey("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", dir, "secret.key", 32)
	if err != nil || conf[0] != 1 {
		t.Fatalf("configured key: %v", err)
	}
	if _, err := LoadKey("abcd", dir, "x", 32); err == nil {
		t.Fatal("short configured key accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.key"), []byte("zz"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey("", dir, "bad.key", 32); err == nil {
		t.Fatal("damaged key file accepted")
	}
}

// Processes starting at once on a fresh data directory agree on one key, and
// none reads a half-written file.
func TestLoadKeyConcurrentFirstStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadKey("", dir, "seal.key", 32) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("load %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("load %d got another key", i)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data directory holds %d files, want only seal.key", len(entries))
	}
}
