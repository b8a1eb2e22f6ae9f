// Package auth owns how people prove who they are: password hashing
// (argon2id) today; sessions and sign-in rate limits join it as the web
// layer needs them. It holds no database code: the store keeps the hashes.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (OWASP's recommended minimum: 19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the shortest sign-in password accepted.
const MinPasswordLength = 12

var b64 = base64.RawStdEncoding

// HashPassword returns an encoded argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argonKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the encoded hash. A
// malformed hash never matches.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || memory > 1<<20 || passes == 0 || passes > 16 || threads == 0 {
		return false
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argonKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// DummyCheck spends the time of a real check, so that signing in as a user
// who does not exist takes as long as with a wrong password.
func DummyCheck(password string) {
	CheckPassword(dummyHash(), password)
}

// dummyHash is made on first use, not at start: one hash takes argonMemory
// (19 MiB), which an idle process would otherwise carry.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("kvportal-dummy-password")
	return h
})

// ErrWeakPassword: a sign-in password too short to set.
var ErrWeakPassword = fmt.Errorf("password must be at least %d characters", MinPasswordLength)

// CheckNewPassword says whether password may be set as a sign-in password.
func CheckNewPassword(password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return ErrWeakPassword
	}
	if len(password) > 1024 {
		return errors.New("password must be at most 1024 bytes")
	}
	return nil
}

// GeneratePassword makes a random password for demo and new users.
func GeneratePassword() string { return randomString(15) }

// randomString is n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// argonSlots bounds the argon2id computations running at once. Each takes
// argonMemory (19 MiB) for its blocks, so a burst of sign-ins cannot take
// the memory of the process; they are CPU-bound, so more at once would not
// finish sooner on a small machine anyway.
var argonSlots = make(chan struct{}, 2)

// argonKey is argon2.IDKey within argonSlots, and then gives the blocks'
// memory back to the system: sign-ins are rare, and an idle process would
// otherwise keep the memory of the last ones (measured: 86 MB idle after
// three sign-ins, 28 MB before).
func argonKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	argonSlots <- struct{}{}
	defer func() {
		<-argonSlots
		releaseMemory()
	}()
	return argon2.IDKey(password, salt, time, memory, threads, keyLen)
}

var releasing atomic.Bool

// releaseMemory returns freed memory to the system in the background, one
// pass at a time.
func releaseMemory() {
	if releasing.CompareAndSwap(false, true) {
		go func() {
			defer releasing.Store(false)
			debug.FreeOSMemory()
		}()
	}
}
