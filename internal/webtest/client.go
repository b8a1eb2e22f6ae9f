package webtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Client is a browser without JavaScript: a cookie jar, no redirects
// followed, the CSRF token taken from the last page.
type Client struct {
	t    *testing.T
	e    *Env
	base string // the portal's URL when it is not e's (NewClient)
	HTTP *http.Client
	CSRF string
}

// Client is a new browser on the portal, signed in as nobody.
func (e *Env) Client() *Client {
	c := NewClient(e.T, "")
	c.e = e
	return c
}

// NewClient is a new browser, signed in as nobody, on a portal served at
// baseURL by other means than Env (the binary's own serve command).
func NewClient(t *testing.T, baseURL string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: baseURL, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// url is the portal's URL.
func (c *Client) url() string {
	if c.e != nil {
		return c.e.Srv.URL
	}
	return c.base
}

// Response is a page as the client got it; Doc is parsed when it is HTML.
type Response struct {
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

// Location is where a redirect sends the client.
func (r *Response) Location() string { return r.Header.Get("Location") }

// Do sends req with the client's cookies and keeps the page's CSRF token.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		r.Doc, err = goquery.NewDocumentFromReader(strings.NewReader(r.Body))
		if err != nil {
			c.t.Fatal(err)
		}
		if tok, ok := r.Doc.Find(`input[name="csrf_token"]`).First().Attr("value"); ok {
			c.CSRF = tok
		}
	}
	return r
}

// Get gets a path of the portal.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.url()+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(req)
}

// PostRaw posts form exactly as given (no CSRF token added).
func (c *Client) PostRaw(path string, body string) *Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.url()+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Post posts form with the session's CSRF token, fetching a page first
// when none is known yet.
func (c *Client) Post(path string, form url.Values) *Response {
	c.t.Helper()
	if c.CSRF == "" {
		c.Get("/login")
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", c.CSRF)
	return c.PostRaw(path, f.Encode())
}

// Login signs in as username with Password.
func (c *Client) Login(username string) {
	c.t.Helper()
	c.Get("/login")
	r := c.Post("/login", url.Values{"username": {username}, "password": {Password}})
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("login %s: %d\n%s", username, r.Status, r.Body)
	}
	c.Get("/requests") // a page, for a fresh CSRF token
}

// SignedIn returns a client signed in as a new user of the role.
func (e *Env) SignedIn(name string, role domain.Role) (*Client, store.User) {
	e.T.Helper()
	u := e.User(name, role)
	c := e.Client()
	c.Login(name)
	return c, u
}

// Whoami is who the pages say is signed in ("" for nobody).
func (c *Client) Whoami() string {
	c.t.Helper()
	r := c.Get("/requests")
	if r.Status != http.StatusOK {
		return ""
	}
	return strings.Join(strings.Fields(r.Doc.Find(`[data-testid="whoami"]`).Text()), " ")
}

// Logout signs out, with the CSRF token of a fresh page.
func (c *Client) Logout() {
	c.t.Helper()
	c.Get("/requests")
	if r := c.Post("/logout", nil); r.Status != http.StatusSeeOther {
		c.t.Fatalf("logout: %d", r.Status)
	}
}

// Flash follows a 303 and returns the flash message it lands on.
func (c *Client) Flash(r *Response) string {
	c.t.Helper()
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("want 303, got %d\n%s", r.Status, r.Body)
	}
	return c.Get(r.Location()).Doc.Find(`[data-testid="flash"]`).Text()
}

// Cookies are the cookies the client holds for the portal.
func (c *Client) Cookies() []*http.Cookie {
	u, _ := url.Parse(c.url())
	return c.HTTP.Jar.Cookies(u)
}

// WithCookies is a new client on e holding a copy of cookies: someone who
// copied them from another browser.
func (e *Env) WithCookies(cookies []*http.Cookie) *Client {
	c := e.Client()
	u, _ := url.Parse(e.Srv.URL)
	c.HTTP.Jar.SetCookies(u, cookies)
	return c
}

// SignedOut tells whether r sends the client to sign in.
func SignedOut(r *Response) bool {
	return r.Status == http.StatusSeeOther && strings.HasPrefix(r.Location(), "/login")
}
