package simulator

import (
	"crypto/sha256"
	"sync"
	"time"
)

// nonceCache remembers the SignatureNonce of every signed request within the
// timestamp window, to refuse a replayed request as the real API does. A
// nonce older than the window need not be remembered: its timestamp is
// refused anyway.
type nonceCache struct {
	mu   sync.Mutex
	seen map[nonceKey]struct{}
	// order is every remembered nonce in the order it arrived, from head
	// on: forgetting starts at the front and stops at the first nonce still
	// needed, so that an addition costs the same however many are kept
	// (a scan of the whole map, from time to time, grows with the traffic
	// of the last half hour).
	order []seenNonce
	head  int
}

// nonceKey is what is remembered of a nonce: the first 16 bytes of its
// SHA-256. Half an hour of a steady stream of calls is tens of thousands of
// nonces; kept as strings (a copy each, a map entry and an entry in order
// with its time) they took about 140 bytes apiece, and the portal's heap
// grows to a multiple of what is live. A fixed-size key of no pointers
// takes about a third of that, keeps nothing of the caller's request line,
// and two different nonces share one with a chance of about 2^-128.
type nonceKey [16]byte

func keyOf(nonce string) nonceKey {
	sum := sha256.Sum256([]byte(nonce))
	return nonceKey(sum[:16])
}

// seenNonce is a remembered nonce and the timestamp it was sent with, in
// Unix nanoseconds.
type seenNonce struct {
	key nonceKey
	ts  int64
}

func newNonceCache() *nonceCache {
	return &nonceCache{seen: map[nonceKey]struct{}{}}
}

// add records nonce, sent with timestamp ts; it reports false when the nonce
// was seen already.
func (n *nonceCache) add(nonce string, ts time.Time) bool {
	k := keyOf(nonce)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.forgetOld(time.Now().Add(-2 * timestampWindow))
	if _, dup := n.seen[k]; dup {
		return false
	}
	n.seen[k] = struct{}{}
	n.order = append(n.order, seenNonce{k, ts.UnixNano()})
	return true
}

// forgetOld forgets the nonces at the front of the arrival order whose
// timestamp is before oldest. A nonce sent with a timestamp later than
// those after it is kept until it is old too, and holds those behind it for
// that long: at most one timestamp window more.
func (n *nonceCache) forgetOld(oldest time.Time) {
	before := oldest.UnixNano()
	for n.head < len(n.order) && n.order[n.head].ts < before {
		delete(n.seen, n.order[n.head].key)
		n.head++
	}
	// Reuse the front of the slice once half of it is forgotten.
	if n.head > 0 && n.head >= len(n.order)/2 {
		k := copy(n.order, n.order[n.head:])
		n.order = n.order[:k]
		n.head = 0
	}
}
