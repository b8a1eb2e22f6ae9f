package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/defaults"
)

// OIDCConfig is what single sign-on needs (config.Config's PORTAL_OIDC_*).
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scopes asked for; "openid" is always among them.
	Scopes []string
	// GroupsClaim names the ID token claim listing the user's groups.
	GroupsClaim string
	// Groups per role: the highest role whose groups the user is in wins.
	AdminGroups, ApproverGroups, RequesterGroups []string
	// TeamGroups maps a group to the teams its members are in (see Teams).
	TeamGroups map[string][]string
	// AuthStyle is how the client authenticates at the token endpoint;
	// zero: found out from the provider.
	AuthStyle oauth2.AuthStyle
	// HTTPClient talks to the provider (a 10 s timeout when nil).
	HTTPClient *http.Client
}

// OIDC signs people in through the organisation's identity provider: the
// authorization code flow with PKCE (S256), a nonce, the ID token verified
// (signature, issuer, audience, expiry) and its nonce compared.
type OIDC struct {
	cfg OIDCConfig

	mu       sync.Mutex // guards the discovered provider
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// NewOIDC returns the single sign-on client. The provider's discovery
// document is fetched at the first sign-in, and again after a failure, so
// that a provider down when the portal starts does not stop the portal.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, errors.New("single sign-on needs an issuer and a client id")
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = defaults.OIDCGroupsClaim
	}
	if !contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &OIDC{cfg: cfg}, nil
}

// Issuer is the provider's issuer URL.
func (o *OIDC) Issuer() string { return o.cfg.Issuer }

func (o *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.cfg.HTTPClient)
}

// discover returns the provider's endpoints (with redirect, the portal's
// redirect URI) and verifier, fetching its discovery document the first
// time.
func (o *OIDC) discover(ctx context.Context, redirect string) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: discovery: %v", ErrProviderUnavailable, err)
		}
		o.provider = p
		// The verifier fetches the provider's keys with the same client,
		// for as long as the portal runs (not one request's context).
		o.verifier = p.VerifierContext(o.ctx(context.Background()), &oidc.Config{ClientID: o.cfg.ClientID})
		endpoint := p.Endpoint()
		if o.cfg.AuthStyle != oauth2.AuthStyleAutoDetect {
			endpoint.AuthStyle = o.cfg.AuthStyle
		}
		o.oauth = oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: endpoint,
			Scopes: o.cfg.Scopes}
	}
	c := o.oauth
	c.RedirectURL = redirect
	return &c, o.verifier, nil
}

// Flow is a sign-on in progress: what the callback must find again.
type Flow struct {
	State    string
	Nonce    string
	Verifier string
}

// NewFlow makes the random state, nonce and PKCE verifier of a sign-on.
func NewFlow() Flow {
	return Flow{State: randomString(32), Nonce: randomString(32), Verifier: oauth2.GenerateVerifier()}
}

// StateHash is what the database keeps of a flow's state.
func StateHash(state string) []byte { return hashID(state) }

// AuthURL is the provider's sign-in address for f, coming back to redirect
// (the portal's public URL + /auth/oidc/callback).
func (o *OIDC) AuthURL(ctx context.Context, f Flow, redirect string) (string, error) {
	c, _, err := o.discover(ctx, redirect)
	if err != nil {
		return "", err
	}
	return c.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// Errors of a sign-on's completion.
var (
	// ErrProviderUnavailable: the provider could not be reached or answered
	// something unexpected.
	ErrProviderUnavailable = errors.New("the identity provider could not be reached")
	// ErrCodeRejected: the provider refused the code: expired, already
	// used, or not issued for this flow.
	ErrCodeRejected = errors.New("the identity provider refused the sign-in code")
	// ErrTokenInvalid: the ID token did not verify (signature, issuer,
	// audience, expiry) or its nonce was not this flow's.
	ErrTokenInvalid = errors.New("the identity provider's ID token is not valid for this sign-in")
)

// Identity is who the provider says signed in.
type Identity struct {
	Issuer  string
	Subject string
	// Name is preferred_username, else the email when verified; "" when
	// neither is given.
	Name   string
	Groups []string
	// Email is the email address the provider verified ("" when it gives
	// none, or says it is not verified).
	Email string
}

// Exchange trades the code of flow f (sent back to redirect) for an ID
// token, verifies it and compares its nonce with f's (go-oidc leaves that
// to its caller).
func (o *OIDC) Exchange(ctx context.Context, f Flow, code, redirect string) (Identity, error) {
	c, verifier, err := o.discover(ctx, redirect)
	if err != nil {
		return Identity{}, err
	}
	tok, err := c.Exchange(o.ctx(ctx), code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return Identity{}, fmt.Errorf("%w: %v", ErrCodeRejected, err)
		}
		return Identity{}, fmt.Errorf("%w: token exchange: %v", ErrProviderUnavailable, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token in the token response", ErrTokenInvalid)
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, fmt.Errorf("%w: the nonce is not this sign-in's", ErrTokenInvalid)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %v", ErrTokenInvalid, err)
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, Groups: stringList(claims[o.cfg.GroupsClaim])}
	if email, _ := claims["email"].(string); email != "" && claimTrue(claims["email_verified"]) {
		id.Email = strings.TrimSpace(email)
	}
	if s, _ := claims["preferred_username"].(string); strings.TrimSpace(s) != "" {
		id.Name = s
	} else if email, _ := claims["email"].(string); email != "" && claimTrue(claims["email_verified"]) {
		id.Name = email
	}
	return id, nil
}

// Role is the role the groups give: the highest role one of whose groups
// the user is in; ok is false for none.
func (o *OIDC) Role(groups []string) (role domain.Role, ok bool) {
	for _, m := range []struct {
		role   domain.Role
		groups []string
	}{{domain.RoleAdmin, o.cfg.AdminGroups}, {domain.RoleApprover, o.cfg.ApproverGroups}, {domain.RoleRequester, o.cfg.RequesterGroups}} {
		for _, g := range groups {
			if contains(m.groups, g) {
				return m.role, true
			}
		}
	}
	return "", false
}

// Teams says which teams the groups put a user in (want), out of the teams
// single sign-on manages (managed: every team TeamGroups names, sorted). At
// each sign-in the user's memberships of the managed teams become want;
// memberships of other teams are left to admins.
func (o *OIDC) Teams(groups []string) (want, managed []string) {
	for g, teams := range o.cfg.TeamGroups {
		for _, t := range teams {
			if !contains(managed, t) {
				managed = append(managed, t)
			}
			if contains(groups, g) && !contains(want, t) {
				want = append(want, t)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(managed)
	return want, managed
}

// Username makes a portal username (store.ValidUsername) out of the name
// the provider gave: lowercase, anything else than letters, digits, '.',
// '_' and '-' becomes '-' (an email's '@' too). fallback (the subject) is
// used when the name gives nothing.
func Username(name, fallback string) string {
	mapped := strings.Map(func(r rune) rune {
		r = unicode.ToLower(r)
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '-'
	}, name)
	mapped = strings.TrimLeft(mapped, "._-")
	if len(mapped) > 56 { // room for a "-NN" suffix on a clash
		mapped = mapped[:56]
	}
	if mapped == "" {
		if fallback != "" && fallback != name {
			return Username("sso-"+fallback, "")
		}
		return "sso-user"
	}
	return mapped
}

// stringList reads a groups claim: a list of strings, or one string.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// claimTrue reads a boolean claim some providers send as a string.
func claimTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
