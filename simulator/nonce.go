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
	mu   sync.Mutex
	seen map[string]struct{}
	// order is every remembered nonce in the order it arrived, from head
	// on: forgetting starts at the front and stops at the first nonce still
	// needed, so that an addition costs the same however many are kept
	// (a scan of the whole map, from time to time, grows with the traffic
	// of the last half hour).
	order []seenNonce
	head  int
}

// seenNonce is a remembered nonce and the timestamp it was sent with.
type seenNonce struct {
	nonce string
	ts    time.Time
}

func newNonceCache() *nonceCache {
	return &nonceCache{seen: map[string]struct{}{}}
}

// add records nonce, sent with timestamp ts; it reports false when the nonce
// was seen already.
func (n *nonceCache) add(nonce string, ts time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.forgetOld(time.Now().Add(-2 * timestampWindow))
	if _, dup := n.seen[nonce]; dup {
		return false
	}
	// A copy: the nonce is a piece of the request's query string, and
	// keeping it as it is would keep the whole request line (every
	// parameter, a kilobyte or more) for as long as the nonce, half an
	// hour: tens of megabytes under a steady stream of submissions.
	kept := strings.Clone(nonce)
	n.seen[kept] = struct{}{}
	n.order = append(n.order, seenNonce{kept, ts})
	return true
}

// forgetOld forgets the nonces at the front of the arrival order whose
// timestamp is before oldest. A nonce sent with a timestamp later than
// those after it is kept until it is old too, and holds those behind it for
// that long: at most one timestamp window more.
func (n *nonceCache) forgetOld(oldest time.Time) {
	for n.head < len(n.order) && n.order[n.head].ts.Before(oldest) {
		delete(n.seen, n.order[n.head].nonce)
		n.order[n.head] = seenNonce{}
		n.head++
	}
	// Reuse the front of the slice once half of it is forgotten.
	if n.head > 0 && n.head >= len(n.order)/2 {
		k := copy(n.order, n.order[n.head:])
		clear(n.order[k:])
		n.order = n.order[:k]
		n.head = 0
	}
}
