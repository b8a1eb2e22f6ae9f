package simulator

import (
	"strings"
	"testing"
	"time"
	"unsafe"
)

// The cache keeps a nonce of its own, not the caller's string: a nonce read
// from a query string shares its memory with the whole request line.
func TestNonceCacheKeepsOnlyTheNonce(t *testing.T) {
	line := "GET /?Action=CreateInstance&SignatureNonce=" + strings.Repeat("ab", 16) + "&Password=x HTTP/1.1"
	i := strings.Index(line, "SignatureNonce=") + len("SignatureNonce=")
	nonce := line[i : i+32]
	n := newNonceCache()
	if !n.add(nonce, time.Now()) {
		t.Fatal("a new nonce was refused")
	}
	if n.add(strings.Clone(nonce), time.Now()) {
		t.Fatal("a nonce seen before was accepted again")
	}
	for k := range n.seen {
		if k != nonce {
			t.Fatalf("kept %q, want %q", k, nonce)
		}
		start, end := uintptr(unsafe.Pointer(unsafe.StringData(line))), uintptr(unsafe.Pointer(unsafe.StringData(line)))+uintptr(len(line))
		if p := uintptr(unsafe.Pointer(unsafe.StringData(k))); p >= start && p < end {
			t.Fatal("the cache keeps the nonce inside the caller's request line")
		}
	}
}
