package webtest

import (
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/handlers"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"
)

// Provider is an OIDC identity provider in process, over HTTP (mockoidc),
// that a test can make misbehave.
type Provider struct {
	*mockoidc.MockOIDC
	mu sync.Mutex
	// Nonce, when set, replaces the nonce the portal sends: the ID token
	// then carries another sign-in's nonce.
	Nonce string
	// ServedClientID, when set, is the client the provider really serves: the
	// portal's requests are answered as if they came from it, so the ID
	// token is for another client.
	ServedClientID string
}

// NewProvider starts a provider for t, stopped when t ends.
func NewProvider(t *testing.T) *Provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{MockOIDC: m}
	if err := m.AddMiddleware(p.tamper); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

// Set changes how the provider misbehaves, safely while it serves.
func (p *Provider) Set(fn func(p *Provider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}

func (p *Provider) tamper(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		nonce, clientID := p.Nonce, p.ServedClientID
		p.mu.Unlock()
		switch r.URL.Path {
		case mockoidc.AuthorizationEndpoint:
			q := r.URL.Query()
			if nonce != "" {
				q.Set("nonce", nonce)
			}
			if clientID != "" {
				q.Set("client_id", clientID)
			}
			r.URL.RawQuery = q.Encode()
		case mockoidc.TokenEndpoint:
			if clientID != "" {
				if err := r.ParseForm(); err == nil {
					r.PostForm.Set("client_id", clientID)
					r.Form = nil
					r.Body = http.NoBody
					r.URL.RawQuery = r.PostForm.Encode()
					r.PostForm = nil
					r.Method = http.MethodPost
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// SignInAs queues the person the provider signs in next.
func (p *Provider) SignInAs(sub, name string, groups ...string) {
	p.QueueUser(&mockoidc.MockUser{Subject: sub, PreferredUsername: name, Email: name + "@example.com",
		EmailVerified: true, Groups: groups})
}

// WithOIDC configures single sign-on through p: groups admins, approvers
// and developers map to the three roles. clientID overrides the client id
// the portal uses ("" for p's own).
func WithOIDC(t *testing.T, p *Provider, clientID string) Option {
	return func(h *handlers.Handlers) {
		cfg := p.Config()
		if clientID == "" {
			clientID = cfg.ClientID
		}
		o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: cfg.Issuer, ClientID: clientID, ClientSecret: cfg.ClientSecret,
			Scopes: []string{"openid", "profile", "email", "groups"}, AdminGroups: []string{"admins"},
			ApproverGroups: []string{"approvers"}, RequesterGroups: []string{"developers", "contractors"},
			TeamGroups: map[string][]string{"pay-devs": {"payments"}, "pay-oncall": {"payments"}, "search-devs": {"search"},
				"ghost-devs": {"ghost"}},
			// mockoidc's discovery offers client_secret_basic but its token
			// endpoint reads the form.
			AuthStyle: oauth2.AuthStyleInParams})
		if err != nil {
			t.Fatal(err)
		}
		h.OIDC = o
	}
}

// GetURL gets an absolute URL (the provider's) with the client's cookies.
func (c *Client) GetURL(u string) *Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(req)
}

// SSOStart starts a single sign-on and follows it to the provider, which
// signs the queued person in: it returns the callback path the provider
// sends the browser back to, not yet visited.
func (c *Client) SSOStart() string {
	c.t.Helper()
	r := c.Get("/auth/oidc/login")
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	auth, err := url.Parse(r.Location())
	if err != nil {
		c.t.Fatal(err)
	}
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" ||
		q.Get("state") == "" || q.Get("redirect_uri") != c.e.Srv.URL+"/auth/oidc/callback" {
		c.t.Fatalf("authorization request %s", r.Location())
	}
	back := c.GetURL(r.Location())
	if back.Status != http.StatusFound {
		c.t.Fatalf("provider: %d %s", back.Status, back.Body)
	}
	cb, err := url.Parse(back.Location())
	if err != nil {
		c.t.Fatal(err)
	}
	return cb.RequestURI()
}

// SSO signs in through the provider, wanting a redirect to the portal.
func (c *Client) SSO() *Response {
	c.t.Helper()
	return c.Get(c.SSOStart())
}
