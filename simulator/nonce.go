package simulator

import (
	"strings"
	"sync"
	"time"
)

// nonceCache remembers the SignatureNonce of every signed request within the
// timestamp window, to refuse a replayed request as the real API does. A
// nonce older than the window need not be remembered: its timestamp is
// refused anyway.
type nonceCache struct {
	mu    sync.Mutex
	seen  map[string]time.Time // nonce -> the request's timestamp
	added int
}

func newNonceCache() *nonceCache {
	return &nonceCache{seen: map[string]time.Time{}}
}

// pruneEvery is how many additions pass between two prunings.
const pruneEvery = 1024

// add records nonce, sent with timestamp ts; it reports false when the nonce
// was seen already.
func (n *nonceCache) add(nonce string, ts time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.seen[nonce]; dup {
		return false
	}
	// A copy: the nonce is a piece of the request's query string, and
	// keeping it as it is would keep the whole request line (every
	// parameter, a kilobyte or more) for as long as the nonce, half an
	// hour: tens of megabytes under a steady stream of submissions.
	n.seen[strings.Clone(nonce)] = ts
	n.added++
	if n.added%pruneEvery == 0 {
		oldest := time.Now().Add(-2 * timestampWindow)
		for k, t := range n.seen {
			if t.Before(oldest) {
				delete(n.seen, k)
			}
		}
	}
	return true
}
