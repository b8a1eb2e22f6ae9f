package simulator

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
	"weak"
)

// The cache keeps nothing of the caller's string: a nonce read from a query
// string shares its memory with the whole request line, which must not stay
// alive for as long as the nonce is remembered.
func TestNonceCacheKeepsOnlyTheNonce(t *testing.T) {
	line := strings.Clone("GET /?Action=CreateInstance&SignatureNonce=" + strings.Repeat("ab", 16) + "&Password=x HTTP/1.1")
	i := strings.Index(line, "SignatureNonce=") + len("SignatureNonce=")
	nonce := line[i : i+32]
	n := newNonceCache()
	if !n.add(nonce, time.Now()) {
		t.Fatal("a new nonce was refused")
	}
	if n.add(strings.Clone(nonce), time.Now()) {
		t.Fatal("a nonce seen before was accepted again")
	}
	if !n.add(strings.Repeat("ab", 15)+"ac", time.Now()) {
		t.Fatal("a different nonce was refused")
	}
	lineMemory := weak.Make(unsafe.StringData(line))
	line, nonce = "", ""
	runtime.GC()
	if lineMemory.Value() != nil {
		t.Error("the cache keeps the caller's request line alive")
	}
	runtime.KeepAlive(n)
}

// Nonces are forgotten once their timestamp is older than twice the window,
// oldest first, and not before: a nonce within the window is refused again
// however many others arrived after it.
func TestNonceCacheForgetsOldNonces(t *testing.T) {
	n := newNonceCache()
	now := time.Now()
	old := now.Add(-2*timestampWindow - time.Minute)
	for i := range 3 {
		if !n.add("old-"+string(rune('a'+i)), old) {
			t.Fatal("a new nonce was refused")
		}
	}
	if !n.add("recent", now.Add(-timestampWindow)) {
		t.Fatal("a new nonce was refused")
	}
	for i := range 3000 {
		if !n.add("new-"+strconv.Itoa(i), now) {
			t.Fatal("a new nonce was refused")
		}
	}
	if n.add("recent", now) {
		t.Error("a nonce within the window was accepted again")
	}
	for i := range 3 {
		if _, kept := n.seen[keyOf("old-"+string(rune('a'+i)))]; kept {
			t.Errorf("old nonce %d still kept", i)
		}
	}
	if got, want := len(n.seen), 3001; got != want || len(n.order)-n.head != want {
		t.Errorf("kept %d nonces (%d in order), want %d", got, len(n.order)-n.head, want)
	}
}
