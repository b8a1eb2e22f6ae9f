package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// client is a browser without JavaScript: a cookie jar, no redirects
// followed, the CSRF token taken from the last page.
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
	csrf string
	addr string // X-Forwarded-For is ignored: the address is the socket's
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (r *response) location() string { return r.header.Get("Location") }

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		r.doc, err = goquery.NewDocumentFromReader(strings.NewReader(r.body))
		if err != nil {
			c.t.Fatal(err)
		}
		if tok, ok := r.doc.Find(`input[name="csrf_token"]`).First().Attr("value"); ok {
			c.csrf = tok
		}
	}
	return r
}

func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// postRaw posts form exactly as given (no CSRF token added).
func (c *client) postRaw(path string, body string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// post posts form with the session's CSRF token, fetching a page first
// when none is known yet.
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/login")
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", c.csrf)
	return c.postRaw(path, f.Encode())
}

// login signs in as username with testPassword.
func (c *client) login(username string) {
	c.t.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"username": {username}, "password": {testPassword}})
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("login %s: %d\n%s", username, r.status, r.body)
	}
	c.get("/requests") // a page, for a fresh CSRF token
}

// signedIn returns a client signed in as a new user of the role.
func (e *env) signedIn(name string, role domain.Role) (*client, store.User) {
	e.t.Helper()
	u := e.user(name, role)
	c := e.client()
	c.login(name)
	return c, u
}

func (c *client) whoami() string {
	c.t.Helper()
	r := c.get("/requests")
	if r.status != http.StatusOK {
		return ""
	}
	return strings.Join(strings.Fields(r.doc.Find(`[data-testid="whoami"]`).Text()), " ")
}

// logout signs out, with the CSRF token of a fresh page.
func (c *client) logout() {
	c.t.Helper()
	c.get("/requests")
	if r := c.post("/logout", nil); r.status != http.StatusSeeOther {
		c.t.Fatalf("logout: %d", r.status)
	}
}

// flash follows a 303 and returns the flash message it lands on.
func (c *client) flash(r *response) string {
	c.t.Helper()
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("want 303, got %d\n%s", r.status, r.body)
	}
	return c.get(r.location()).doc.Find(`[data-testid="flash"]`).Text()
}

var oneTimePassword = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

// cookies are the cookies the client holds for the portal.
func (c *client) cookies() []*http.Cookie {
	u, _ := url.Parse(c.e.srv.URL)
	return c.http.Jar.Cookies(u)
}

// withCookies is a new client on e holding a copy of cookies: someone who
// copied them from another browser.
func (e *env) withCookies(cookies []*http.Cookie) *client {
	c := e.client()
	u, _ := url.Parse(e.srv.URL)
	c.http.Jar.SetCookies(u, cookies)
	return c
}

func signedOut(r *response) bool {
	return r.status == http.StatusSeeOther && strings.HasPrefix(r.location(), "/login")
}
