// Package apitoken issues and checks personal access tokens, the bearer
// tokens of the JSON API: "kvp_" and 32 random bytes (base64url), shown
// once and stored only as their SHA-256. A token always expires, acts with
// its user's current role and stops working when revoked or when its user
// is disabled. The settings page, the command line and the API all go
// through here, so the rules are the same everywhere.
package apitoken

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Prefix starts every token, so that a token pasted where it should not be
// is recognisable (and found by secret scanners).
const Prefix = "kvp_"

// Lifetimes of a token.
const (
	DefaultTTL = 90 * 24 * time.Hour
	MaxTTL     = 365 * 24 * time.Hour
)

// NameMaxLen bounds a token's name, in characters.
const NameMaxLen = 100

// The lifetimes in whole days, as the settings page asks for them.
const (
	day         = 24 * time.Hour
	DefaultDays = int(DefaultTTL / day)
	MaxDays     = int(MaxTTL / day)
)

// encodedLen is the length of a token: the prefix and 32 bytes in
// unpadded base64url.
var encodedLen = len(Prefix) + base64.RawURLEncoding.EncodedLen(32)

// newToken returns a fresh token.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails: see crypto/rand.Read
	return Prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is what is stored of a token. A plain hash is enough: a token is 256
// random bits, nothing a dictionary holds.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Issue makes a token named name for owner, valid for ttl (0: DefaultTTL),
// recorded as done by actorID, and returns it: the only time it is ever
// seen. A name or lifetime that breaks a rule is a field error ("name",
// "expires"); a disabled owner is refused.
func Issue(ctx context.Context, st *store.Store, owner store.User, name string, ttl time.Duration, actorID *int64, now time.Time) (string, store.APIToken, domain.FieldErrors, error) {
	name = strings.TrimSpace(name)
	errs := domain.FieldErrors{}
	if problem := nameProblem(name); problem != "" {
		errs["name"] = problem
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if problem := TTLProblem(ttl); problem != "" {
		errs["expires"] = problem
	}
	if owner.Disabled {
		errs["user"] = "is disabled: a disabled user's tokens do not work"
	}
	if len(errs) > 0 {
		return "", store.APIToken{}, errs, nil
	}
	token := newToken()
	t, err := st.CreateToken(ctx, owner.ID, name, Hash(token), now.Add(ttl), actorID)
	if err != nil {
		return "", store.APIToken{}, nil, err
	}
	return token, t, nil, nil
}

// TTLProblem says what is wrong with a token's lifetime, "" if nothing.
func TTLProblem(ttl time.Duration) string {
	if ttl <= 0 || ttl > MaxTTL {
		return "must be more than zero and at most a year (" + strconv.Itoa(int(MaxTTL/time.Hour)) + "h)"
	}
	return ""
}

// ParseDays reads a lifetime given in whole days: "" is DefaultTTL. A text
// that is not a whole number, or a number of days TTLProblem refuses, is a
// problem said in days; ttl is then 0.
func ParseDays(text string) (ttl time.Duration, problem string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return DefaultTTL, ""
	}
	n, err := strconv.Atoi(text)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, "must be a whole number of days, from 1 to " + strconv.Itoa(MaxDays)
	}
	// Past a year by any amount is as wrong as by a day, and multiplying a
	// huge number of days would overflow.
	n = min(max(n, 0), MaxDays+1)
	if TTLProblem(time.Duration(n)*day) != "" {
		return 0, "must be from 1 to " + strconv.Itoa(MaxDays) + " days: a token always expires, at most a year after it is made"
	}
	return time.Duration(n) * day, ""
}

func nameProblem(name string) string {
	switch {
	case name == "":
		return "is required: say what the token is for"
	case !utf8.ValidString(name):
		return "must be valid UTF-8 text"
	case utf8.RuneCountInString(name) > NameMaxLen:
		return "must be at most " + strconv.Itoa(NameMaxLen) + " characters long"
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// The states of a token, in one word each.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateRevoked = "revoked"
)

// State says whether t works at now: StateActive, StateExpired or
// StateRevoked (revoked wins over expired).
func State(t store.APIToken, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return StateRevoked
	case !now.Before(t.ExpiresAt):
		return StateExpired
	}
	return StateActive
}

// AuthError says why a token does not work, in words safe to show to its
// holder (never the token).
type AuthError struct{ Reason string }

func (e *AuthError) Error() string { return e.Reason }

// The reasons a token does not work.
var (
	ErrMissing  = &AuthError{"A bearer token is required: Authorization: Bearer kvp_…"}
	ErrUnknown  = &AuthError{"The token is not valid."}
	ErrExpired  = &AuthError{"The token has expired."}
	ErrRevoked  = &AuthError{"The token has been revoked."}
	ErrDisabled = &AuthError{"The token's user is disabled."}
)

// Authenticate finds the owner of token, as they are now, and records the
// token's use. A token that does not work is an *AuthError.
func Authenticate(ctx context.Context, st *store.Store, token string, now time.Time) (store.TokenOwner, error) {
	if token == "" {
		return store.TokenOwner{}, ErrMissing
	}
	if len(token) != encodedLen || !strings.HasPrefix(token, Prefix) {
		return store.TokenOwner{}, ErrUnknown
	}
	o, err := st.TokenByHash(ctx, Hash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.TokenOwner{}, ErrUnknown
	case err != nil:
		return store.TokenOwner{}, err
	case o.RevokedAt != nil:
		return store.TokenOwner{}, ErrRevoked
	case !now.Before(o.ExpiresAt):
		return store.TokenOwner{}, ErrExpired
	case o.Disabled:
		return store.TokenOwner{}, ErrDisabled
	}
	if o.LastUsedAt == nil || now.Sub(*o.LastUsedAt) >= store.TokenUseResolution {
		if err := st.TouchToken(ctx, o.ID, now); err != nil {
			return store.TokenOwner{}, err
		}
	}
	return o, nil
}
