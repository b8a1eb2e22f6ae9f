package domain

import (
	"crypto/rand"
	"encoding/hex"
)

// tokenPrefix marks the tokens KVPortal generated, as opposed to ones a
// requester typed. It is not "kvp_", an API token's prefix, so that the two
// are never taken for each other; tokens generated before with "kvp-" stay
// what they are (a token is any text the rules accept).
const tokenPrefix = "req-"

// NewToken returns a fresh random idempotency token for CreateInstance:
// "req-" followed by 32 lowercase hexadecimal digits (128 random bits), 36
// printable ASCII characters in all, well within the API's limit of 64.
func NewToken() string {
	b := make([]byte, 16)
	// crypto/rand.Read never returns an error: it crashes the program
	// irrecoverably when the system's random source fails.
	_, _ = rand.Read(b)
	return tokenPrefix + hex.EncodeToString(b)
}
