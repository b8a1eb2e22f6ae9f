package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"github.com/kvportal/kvportal/store"
)

// SessionKeyLen is the length of the session key material: 32 bytes that
// sign the cookie and 32 that encrypt it (AES-256).
const SessionKeyLen = 64

// Session defaults.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	// touchInterval: the last-seen time is rewritten at most this often, so
	// that not every response sets a cookie.
	touchInterval = time.Minute
)

const cookieName = "kvportal_session"

// Sessions reads and writes the session cookie: signed and encrypted
// (gorilla/sessions), HttpOnly, SameSite=Lax, with an idle and an absolute
// timeout checked against the times stored inside it.
type Sessions struct {
	store    *sessions.CookieStore
	idle     time.Duration
	absolute time.Duration
	now      func() time.Time
}

// NewSessions returns the session manager for keys (SessionKeyLen bytes).
// Zero timeouts take the defaults; now is the clock (time.Now when nil).
func NewSessions(keys []byte, idle, absolute time.Duration, now func() time.Time) (*Sessions, error) {
	if len(keys) != SessionKeyLen {
		return nil, errors.New("session keys must be 64 bytes")
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if absolute <= 0 {
		absolute = DefaultAbsoluteTimeout
	}
	if now == nil {
		now = time.Now
	}
	cs := sessions.NewCookieStore(keys[:32], keys[32:])
	cs.MaxAge(int(absolute / time.Second))
	cs.Options.Path = "/"
	cs.Options.HttpOnly = true
	cs.Options.SameSite = http.SameSiteLaxMode
	return &Sessions{store: cs, idle: idle, absolute: absolute, now: now}, nil
}

// Session is a visitor's session during one HTTP request. Every visitor has
// one, signed in or not: it carries the CSRF token and the flash message.
type Session struct {
	raw       *sessions.Session
	userID    int64
	csrf      string
	flash     string
	reveal    [2]string // a new user's name and one-time password, shown once
	createdAt time.Time
	seenAt    time.Time
	changed   bool
	// Expired is set when the session was signed in but timed out.
	Expired bool
}

// Load reads the session of r, starting a new one when there is none or it
// does not decode. A signed-in session past its idle or absolute timeout is
// signed out (Expired set).
func (m *Sessions) Load(r *http.Request) *Session {
	raw, err := m.store.New(r, cookieName)
	if err != nil || raw == nil {
		raw = sessions.NewSession(m.store, cookieName)
	}
	s := &Session{raw: raw}
	s.userID, _ = raw.Values["uid"].(int64)
	s.csrf, _ = raw.Values["csrf"].(string)
	s.flash, _ = raw.Values["flash"].(string)
	s.reveal[0], _ = raw.Values["reveal_user"].(string)
	s.reveal[1], _ = raw.Values["reveal_password"].(string)
	if v, ok := raw.Values["created"].(int64); ok {
		s.createdAt = time.Unix(0, v)
	}
	if v, ok := raw.Values["seen"].(int64); ok {
		s.seenAt = time.Unix(0, v)
	}
	now := m.now()
	if len(s.csrf) < 32 {
		s.csrf = newToken()
		s.changed = true
	}
	if s.userID != 0 {
		switch {
		case now.Sub(s.createdAt) > m.absolute, now.Sub(s.seenAt) > m.idle, now.Before(s.createdAt.Add(-time.Minute)):
			s.userID = 0
			s.Expired = true
			s.changed = true
		case now.Sub(s.seenAt) > touchInterval:
			s.seenAt = now
			s.changed = true
		}
	}
	if s.createdAt.IsZero() {
		s.createdAt, s.seenAt = now, now
		s.changed = true
	}
	return s
}

// Save writes the session cookie when the session changed. secure marks the
// cookie Secure (the request came over TLS).
func (m *Sessions) Save(r *http.Request, w http.ResponseWriter, s *Session, secure bool) error {
	if !s.changed {
		return nil
	}
	s.raw.Values = map[any]any{
		"uid": s.userID, "csrf": s.csrf, "flash": s.flash,
		"created": s.createdAt.UnixNano(), "seen": s.seenAt.UnixNano(),
	}
	if s.reveal[1] != "" {
		s.raw.Values["reveal_user"], s.raw.Values["reveal_password"] = s.reveal[0], s.reveal[1]
	}
	opts := *m.store.Options
	opts.Secure = secure
	s.raw.Options = &opts
	return m.store.Save(r, w, s.raw)
}

// SignIn starts a new session for userID: a new CSRF token, new timestamps,
// nothing carried over from before (no session fixation).
func (s *Session) SignIn(userID int64, now time.Time) {
	s.userID = userID
	s.csrf = newToken()
	s.flash = ""
	s.reveal = [2]string{}
	s.createdAt, s.seenAt = now, now
	s.Expired = false
	s.changed = true
}

// SignOut ends the signed-in session, with a new CSRF token.
func (s *Session) SignOut() {
	s.userID = 0
	s.csrf = newToken()
	s.reveal = [2]string{}
	s.changed = true
}

// UserID is the signed-in user, 0 for none.
func (s *Session) UserID() int64 { return s.userID }

// CSRFToken is the session's token that every POST must carry.
func (s *Session) CSRFToken() string { return s.csrf }

// CheckCSRF reports whether token is the session's CSRF token, in constant
// time.
func (s *Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

// SetFlash sets the one-line message shown on the next page.
func (s *Session) SetFlash(msg string) {
	s.flash = msg
	s.changed = true
}

// TakeFlash returns the flash message and clears it: it is shown once.
func (s *Session) TakeFlash() string {
	msg := s.flash
	if msg != "" {
		s.flash = ""
		s.changed = true
	}
	return msg
}

// SetOneTimePassword keeps a new user's generated password for the next
// page to show once (TakeOneTimePassword). It travels only inside the
// encrypted session cookie: never in a URL, a log or the audit trail.
func (s *Session) SetOneTimePassword(username, password string) {
	s.reveal = [2]string{username, password}
	s.changed = true
}

// TakeOneTimePassword returns the password SetOneTimePassword kept, and
// forgets it: it is shown once.
func (s *Session) TakeOneTimePassword() (username, password string) {
	username, password = s.reveal[0], s.reveal[1]
	if password != "" {
		s.reveal = [2]string{}
		s.changed = true
	}
	return username, password
}

func newToken() string { return randomString(32) }

type ctxKey int

const (
	sessionKey ctxKey = iota
	userKey
)

// WithSession returns ctx carrying s.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey, s)
}

// SessionFrom returns the session in ctx, or a throwaway empty one.
func SessionFrom(ctx context.Context) *Session {
	if s, ok := ctx.Value(sessionKey).(*Session); ok {
		return s
	}
	return &Session{}
}

// WithUser returns ctx carrying the signed-in user.
func WithUser(ctx context.Context, u store.User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFrom returns the signed-in user in ctx, if any.
func UserFrom(ctx context.Context) (store.User, bool) {
	u, ok := ctx.Value(userKey).(store.User)
	return u, ok
}
