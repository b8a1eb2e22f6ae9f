package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kvportal/kvportal/domain"

	"github.com/gorilla/securecookie"
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
	// touchInterval: the last-seen time is written at most this often per
	// session, so that a busy user does not cost a write per click.
	touchInterval = time.Minute
	// sessionIDLen is the random part of a session id: 256 bits.
	sessionIDLen = 32
	// FlowTimeout is how long a single sign-on may take, from the portal
	// sending the visitor to the identity provider to their coming back.
	FlowTimeout = 10 * time.Minute
)

// The cookie's names. Over https the cookie is Secure and carries the
// __Host- prefix: browsers then refuse it unless it was set by this host
// over https, for the path /, without a Domain (no subdomain can plant one).
const (
	cookieName       = "kvportal_session"
	secureCookieName = "__Host-kvportal_session"
)

// SessionConfig is what NewSessions needs.
type SessionConfig struct {
	// Keys sign and encrypt the cookie (SessionKeyLen bytes).
	Keys []byte
	// Store holds the signed-in sessions.
	Store *store.Store
	// Idle and Absolute are the timeouts; zero takes the defaults.
	Idle, Absolute time.Duration
	// Clock is the clock; nil: the system's.
	Clock domain.Clock
	// Secure makes every cookie Secure (the portal's public URL is https).
	Secure bool
	// TrustProxy believes X-Forwarded-Proto: https from a proxy in front.
	TrustProxy bool
	// Logger reports failed clean-ups (slog.Default when nil).
	Logger *slog.Logger
}

// Sessions keeps signed-in sessions in the database and the visitor's
// cookie: signed and encrypted (gorilla/sessions), HttpOnly, SameSite=Lax.
// The cookie carries a random session id whose hash names the database row;
// the row says who, since when and last seen when, so ending a session (sign
// out, an admin, a role change) is deleting the row, seen at once by every
// portal process.
type Sessions struct {
	codec *sessions.CookieStore
	cfg   SessionConfig
}

// NewSessions returns the session manager.
func NewSessions(cfg SessionConfig) (*Sessions, error) {
	if len(cfg.Keys) != SessionKeyLen {
		return nil, errors.New("session keys must be 64 bytes")
	}
	if cfg.Store == nil {
		return nil, errors.New("sessions need the store")
	}
	if cfg.Idle <= 0 {
		cfg.Idle = DefaultIdleTimeout
	}
	if cfg.Absolute <= 0 {
		cfg.Absolute = DefaultAbsoluteTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = domain.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cs := sessions.NewCookieStore(cfg.Keys[:32], cfg.Keys[32:])
	for _, c := range cs.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(cookieValues{})
		}
	}
	cs.MaxAge(int(cfg.Absolute / time.Second))
	cs.Options.Path = "/"
	cs.Options.HttpOnly = true
	cs.Options.SameSite = http.SameSiteLaxMode
	return &Sessions{codec: cs, cfg: cfg}, nil
}

// Session is a visitor's session during one HTTP request. Every visitor has
// one, signed in or not: it carries the CSRF token and the flash message.
type Session struct {
	name    string // the cookie's name
	secure  bool
	id      string // the signed-in session's id, "" for none
	row     store.ActiveSession
	csrf    string
	flash   string
	reveal  reveal // a secret shown once on the next page
	binding string // ties a single sign-on in progress to this browser
	changed bool
	// Expired is set when the session was signed in but timed out.
	Expired bool
	// Ended is set when the session was signed in but has been ended
	// elsewhere: signed out, ended from the sessions page or by an admin,
	// or the user was disabled or changed role.
	Ended bool
}

// Timeouts are the idle and absolute timeouts of a signed-in session.
func (m *Sessions) Timeouts() (idle, absolute time.Duration) { return m.cfg.Idle, m.cfg.Absolute }

// IsSecure reports whether r reached the portal over https: directly, by
// configuration (the public URL), or through a trusted proxy that says so.
func (m *Sessions) IsSecure(r *http.Request) bool {
	return m.cfg.Secure || r.TLS != nil ||
		(m.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// Load reads the session of r, starting a new one when there is none or
// the cookie does not decode. A signed-in session is looked up in the
// database: gone, timed out or of a disabled user, it is signed out
// (Ended or Expired set). Only a database failure is an error.
func (m *Sessions) Load(ctx context.Context, r *http.Request) (*Session, error) {
	s := &Session{secure: m.IsSecure(r)}
	s.name = cookieName
	if s.secure {
		s.name = secureCookieName
	}
	raw, err := m.codec.New(r, s.name)
	if err == nil && raw != nil {
		s.id, _ = raw.Values["sid"].(string)
		s.csrf, _ = raw.Values["csrf"].(string)
		s.flash, _ = raw.Values["flash"].(string)
		s.reveal.kind, _ = raw.Values["reveal_kind"].(string)
		s.reveal.name, _ = raw.Values["reveal_name"].(string)
		s.reveal.secret, _ = raw.Values["reveal_secret"].(string)
		s.binding, _ = raw.Values["binding"].(string)
	}
	if len(s.csrf) < 32 {
		s.csrf = newToken()
		s.changed = true
	}
	if s.id == "" {
		return s, nil
	}
	hash := hashID(s.id)
	row, err := m.cfg.Store.SessionByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.forget()
		s.Ended = true
		return s, nil
	case err != nil:
		return nil, err
	}
	now := m.now()
	switch {
	case now.Sub(row.CreatedAt) > m.cfg.Absolute, now.Sub(row.SeenAt) > m.cfg.Idle, now.Before(row.CreatedAt.Add(-time.Minute)):
		if err := m.cfg.Store.EndSessionByHash(ctx, hash, store.NewEvent{}); err != nil {
			return nil, err
		}
		s.forget()
		s.Expired = true
		return s, nil
	case row.User.Disabled:
		// Disabling ends the sessions in the same transaction; this covers
		// a row written some other way.
		if err := m.cfg.Store.EndSessionByHash(ctx, hash, store.NewEvent{}); err != nil {
			return nil, err
		}
		s.forget()
		s.Ended = true
		return s, nil
	case now.Sub(row.SeenAt) > touchInterval:
		if err := m.cfg.Store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
		row.SeenAt = now
	}
	s.row = row
	return s, nil
}

// forget drops the signed-in part of the session, with a new CSRF token.
func (s *Session) forget() {
	s.id = ""
	s.row = store.ActiveSession{}
	s.csrf = newToken()
	s.reveal = reveal{}
	s.changed = true
}

// Save writes the session cookie when the session changed.
func (m *Sessions) Save(r *http.Request, w http.ResponseWriter, s *Session) error {
	if !s.changed {
		return nil
	}
	raw := sessions.NewSession(m.codec, s.name)
	raw.Values = map[any]any{"csrf": s.csrf}
	for k, v := range map[string]string{"sid": s.id, "flash": s.flash, "binding": s.binding,
		"reveal_kind": s.reveal.kind, "reveal_name": s.reveal.name, "reveal_secret": s.reveal.secret} {
		if v != "" {
			raw.Values[k] = v
		}
	}
	opts := *m.codec.Options
	opts.Secure = s.secure
	raw.Options = &opts
	return m.codec.Save(r, w, raw)
}

// SignIn starts a new signed-in session for u, stored with the client's
// address and user agent, and writes ev with it in one transaction (an
// empty Action: none). The id is new (the one before, if any, is ended),
// and so is the CSRF token: nothing carries over (no session fixation).
func (m *Sessions) SignIn(ctx context.Context, s *Session, u store.User, address, userAgent string, ev store.NewEvent) error {
	id := randomString(sessionIDLen)
	var replace []byte
	if s.id != "" {
		replace = hashID(s.id)
	}
	row, err := m.cfg.Store.StartSession(ctx, store.NewSession{
		IDHash: hashID(id), UserID: u.ID, At: m.now(),
		Address: printableN(address, 64), UserAgent: printableN(userAgent, 256),
	}, replace, ev)
	if err != nil {
		return err
	}
	s.id = id
	s.row = store.ActiveSession{Session: row, User: u}
	s.csrf = newToken()
	s.flash = ""
	s.reveal = reveal{}
	s.binding = ""
	s.Expired, s.Ended = false, false
	s.changed = true
	return nil
}

// SignOut ends the signed-in session: its row is deleted with ev (an empty
// Action: none) in one transaction, so a copy of the cookie is worth nothing.
func (m *Sessions) SignOut(ctx context.Context, s *Session, ev store.NewEvent) error {
	if s.id != "" {
		if err := m.cfg.Store.EndSessionByHash(ctx, hashID(s.id), ev); err != nil {
			return err
		}
	}
	s.forget()
	return nil
}

// Sweep deletes expired sessions and stale single sign-ons, in passes of
// at most batch rows (at most maxPasses of them), each bounded by timeout.
func (m *Sessions) Sweep(ctx context.Context) (int, error) {
	const batch, maxPasses, timeout = 1000, 20, 10 * time.Second
	total := 0
	for range maxPasses {
		now := m.cfg.Clock.Now()
		pass, cancel := context.WithTimeout(ctx, timeout)
		n, err := m.cfg.Store.DeleteExpiredSessions(pass, now.Add(-m.cfg.Idle), now.Add(-m.cfg.Absolute),
			now.Add(-FlowTimeout), batch)
		cancel()
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
	return total, nil
}

// RunSweeper sweeps every interval until ctx is done.
func (m *Sessions) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Logger.Warn("sweep expired sessions", "err", err)
		} else if n > 0 {
			m.cfg.Logger.Debug("swept expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// now is the clock to the microsecond, as the database keeps times: a
// time read back compares equal to the one written.
func (m *Sessions) now() time.Time { return m.cfg.Clock.Now().Truncate(time.Microsecond) }

// hashID is what the database keeps of a session id.
func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// User is the signed-in user as stored now; ok is false for none.
func (s *Session) User() (store.User, bool) { return s.row.User, s.id != "" && s.row.User.ID != 0 }

// UserID is the signed-in user, 0 for none.
func (s *Session) UserID() int64 {
	if s.id == "" {
		return 0
	}
	return s.row.User.ID
}

// ID is the signed-in session's number in the user's list, 0 for none.
func (s *Session) ID() int64 {
	if s.id == "" {
		return 0
	}
	return s.row.ID
}

// IDHash is the database's name of the signed-in session, nil for none.
func (s *Session) IDHash() []byte {
	if s.id == "" {
		return nil
	}
	return hashID(s.id)
}

// FlowBinding is a random value only this browser's cookie holds, made at
// the first single sign-on it starts: the sign-on's stored state is bound
// to its hash, so a callback from another browser is refused.
func (s *Session) FlowBinding() string {
	if s.binding == "" {
		s.binding = randomString(32)
		s.changed = true
	}
	return s.binding
}

// FlowBindingValue is FlowBinding without making one: "" for none.
func (s *Session) FlowBindingValue() string { return s.binding }

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

// reveal is a secret kept for the next page to show once: what it is
// (revealPassword, revealToken), what it belongs to and the secret. It
// travels only inside the encrypted session cookie: never in a URL, a log
// or the audit trail.
type reveal struct{ kind, name, secret string }

// The kinds of secret a session reveals: each page takes only its own.
const (
	revealPassword = "password"
	revealToken    = "token"
)

// take returns the name and secret kept for kind and forgets them.
func (s *Session) take(kind string) (name, secret string) {
	if s.reveal.kind != kind || s.reveal.secret == "" {
		return "", ""
	}
	name, secret = s.reveal.name, s.reveal.secret
	s.reveal = reveal{}
	s.changed = true
	return name, secret
}

// SetOneTimePassword keeps a new user's generated password for the next
// page to show once (TakeOneTimePassword).
func (s *Session) SetOneTimePassword(username, password string) {
	s.reveal = reveal{revealPassword, username, password}
	s.changed = true
}

// TakeOneTimePassword returns the password SetOneTimePassword kept, and
// forgets it: it is shown once.
func (s *Session) TakeOneTimePassword() (username, password string) {
	return s.take(revealPassword)
}

// SetNewToken keeps a new personal access token, and its name, for the
// next page to show once (TakeNewToken).
func (s *Session) SetNewToken(name, token string) {
	s.reveal = reveal{revealToken, name, token}
	s.changed = true
}

// TakeNewToken returns the token SetNewToken kept, and forgets it: it is
// shown once.
func (s *Session) TakeNewToken() (name, token string) {
	return s.take(revealToken)
}

func newToken() string { return randomString(32) }

// printableN keeps at most n bytes of s, valid UTF-8 without control
// characters: what a client sends about itself is shown on a page.
func printableN(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

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
