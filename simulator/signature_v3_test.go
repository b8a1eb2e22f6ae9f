package simulator_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/simulator"
)

// v3Call is one call signed with signature version 3, written here from
// Alibaba Cloud's published algorithm rather than from the simulator's code,
// so that the two can disagree.
type v3Call struct {
	action string
	query  url.Values // sent in the URL
	form   url.Values // sent as an application/x-www-form-urlencoded body, when not nil
	keyID  string
	secret string
	nonce  string
	date   time.Time
}

// rfc3986 percent-encodes every byte but A-Z a-z 0-9 - _ . ~.
func rfc3986(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

func randomNonce(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// request builds the signed HTTP request for endpoint.
func (c v3Call) request(t *testing.T, endpoint string) *http.Request {
	t.Helper()
	u, err := url.Parse(endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	// The canonical query string: names sorted, names and values encoded,
	// "name=value" joined by "&". It doubles as the URL's query.
	names := make([]string, 0, len(c.query))
	for k := range c.query {
		names = append(names, k)
	}
	sort.Strings(names)
	var pairs []string
	for _, k := range names {
		pairs = append(pairs, rfc3986(k)+"="+rfc3986(c.query.Get(k)))
	}
	canonicalQuery := strings.Join(pairs, "&")
	u.RawQuery = canonicalQuery

	var body string
	if c.form != nil {
		body = c.form.Encode()
	}
	payloadHash := sha256.Sum256([]byte(body))
	headers := map[string]string{
		"host":                  u.Host,
		"x-acs-action":          c.action,
		"x-acs-version":         "2015-01-01",
		"x-acs-date":            c.date.UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-signature-nonce": c.nonce,
		"x-acs-content-sha256":  hex.EncodeToString(payloadHash[:]),
	}
	if c.form != nil {
		headers["content-type"] = "application/x-www-form-urlencoded"
	}
	signedNames := make([]string, 0, len(headers))
	for k := range headers {
		signedNames = append(signedNames, k)
	}
	sort.Strings(signedNames)
	var canonicalHeaders strings.Builder
	for _, k := range signedNames {
		canonicalHeaders.WriteString(k + ":" + strings.TrimSpace(headers[k]) + "\n")
	}
	signedHeaders := strings.Join(signedNames, ";")
	canonicalRequest := "POST\n/\n" + canonicalQuery + "\n" + canonicalHeaders.String() + "\n" + signedHeaders + "\n" + headers["x-acs-content-sha256"]
	hashed := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := "ACS3-HMAC-SHA256\n" + hex.EncodeToString(hashed[:])
	mac := hmac.New(sha256.New, []byte(c.secret))
	mac.Write([]byte(stringToSign))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u.String(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+c.keyID+",SignedHeaders="+signedHeaders+",Signature="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

// newV3Call returns a call of action signed with the test key pair.
func newV3Call(t *testing.T, action string, query url.Values) v3Call {
	t.Helper()
	if query == nil {
		query = url.Values{}
	}
	return v3Call{action: action, query: query, keyID: keyID, secret: secret, nonce: randomNonce(t), date: time.Now()}
}

// send sends req and decodes the JSON answer.
func send(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("answer is not JSON: %s", data)
	}
	return resp.StatusCode, out
}

func v3Server(t *testing.T) (*simulator.Simulator, *httptest.Server) {
	t.Helper()
	sim, err := simulator.New(config(""))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

func TestV3SignatureAccepted(t *testing.T) {
	t.Parallel()
	sim, srv := v3Server(t)

	status, body := send(t, newV3Call(t, "DescribeRegions", nil).request(t, srv.URL))
	if status != http.StatusOK || body["RegionIds"] == nil {
		t.Fatalf("DescribeRegions: %d %v", status, body)
	}

	// Parameters in the query string, as the Node SDK sends them; a value
	// with characters that need encoding.
	create := newV3Call(t, "CreateInstance", url.Values{
		"RegionId": {"cn-hangzhou"}, "InstanceClass": {testfix.InstanceClass},
		"Password": {"Qa123456"}, "Token": {"v3:token*~(1)"}, "InstanceName": {"v3-cache"},
	})
	status, body = send(t, create.request(t, srv.URL))
	id, _ := body["InstanceId"].(string)
	if status != http.StatusOK || id == "" || body["InstanceName"] != "v3-cache" {
		t.Fatalf("CreateInstance: %d %v", status, body)
	}
	if sim.CountByToken("v3:token*~(1)") != 1 {
		t.Errorf("instances with the token: %d", sim.CountByToken("v3:token*~(1)"))
	}

	// Parameters in a form body instead.
	attr := newV3Call(t, "DescribeInstanceAttribute", nil)
	attr.form = url.Values{"InstanceId": {id}}
	status, body = send(t, attr.request(t, srv.URL))
	if status != http.StatusOK || !strings.Contains(mustJSON(t, body), id) {
		t.Fatalf("DescribeInstanceAttribute with a form body: %d %v", status, body)
	}
	if sim.Calls("CreateInstance") != 1 || sim.Calls("DescribeInstanceAttribute") != 1 {
		t.Errorf("calls counted: %d, %d", sim.Calls("CreateInstance"), sim.Calls("DescribeInstanceAttribute"))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestV3SignatureRefused(t *testing.T) {
	t.Parallel()
	_, srv := v3Server(t)
	regions := func() v3Call { return newV3Call(t, "DescribeRegions", url.Values{"RegionId": {"cn-hangzhou"}}) }

	tests := []struct {
		name   string
		build  func() *http.Request
		status int
		code   string
	}{
		{"wrong secret", func() *http.Request {
			c := regions()
			c.secret = "not-the-secret"
			return c.request(t, srv.URL)
		}, 400, "SignatureDoesNotMatch"},
		{"unknown access key", func() *http.Request {
			c := regions()
			c.keyID = "someone-else"
			return c.request(t, srv.URL)
		}, 404, "InvalidAccessKeyId.NotFound"},
		{"query changed after signing", func() *http.Request {
			req := regions().request(t, srv.URL)
			req.URL.RawQuery = "RegionId=cn-beijing"
			return req
		}, 400, "SignatureDoesNotMatch"},
		{"body changed after signing", func() *http.Request {
			c := newV3Call(t, "DescribeInstanceAttribute", nil)
			c.form = url.Values{"InstanceId": {"r-aaaaaaaaaaaaaaaa"}}
			req := c.request(t, srv.URL)
			tampered := url.Values{"InstanceId": {"r-bbbbbbbbbbbbbbbb"}}.Encode()
			req.Body = io.NopCloser(strings.NewReader(tampered))
			req.ContentLength = int64(len(tampered))
			return req
		}, 400, "SignatureDoesNotMatch"},
		{"action changed after signing", func() *http.Request {
			req := regions().request(t, srv.URL)
			req.Header.Set("x-acs-action", "DescribeAvailableResource")
			return req
		}, 400, "SignatureDoesNotMatch"},
		{"action not signed", func() *http.Request {
			req := regions().request(t, srv.URL)
			auth := req.Header.Get("Authorization")
			req.Header.Set("Authorization", strings.Replace(auth, "x-acs-action;", "", 1))
			return req
		}, 400, "IncompleteSignature"},
		{"malformed authorization", func() *http.Request {
			req := regions().request(t, srv.URL)
			req.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+keyID)
			return req
		}, 400, "IncompleteSignature"},
		{"other algorithm", func() *http.Request {
			req := regions().request(t, srv.URL)
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1))
			return req
		}, 400, "InvalidSignatureMethod"},
		{"old date", func() *http.Request {
			c := regions()
			c.date = time.Now().Add(-time.Hour)
			return c.request(t, srv.URL)
		}, 400, "InvalidTimeStamp.Expired"},
		{"no action", func() *http.Request {
			req := regions().request(t, srv.URL)
			req.Header.Del("x-acs-action")
			return req
		}, 400, "MissingParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := send(t, tt.build())
			if status != tt.status || body["Code"] != tt.code {
				t.Errorf("answer %d %v, want %d %s", status, body, tt.status, tt.code)
			}
		})
	}

	// A replay of a valid call is refused, as with version 1.
	c := regions()
	if status, body := send(t, c.request(t, srv.URL)); status != 200 {
		t.Fatalf("first call: %d %v", status, body)
	}
	if status, body := send(t, c.request(t, srv.URL)); status != 400 || body["Code"] != "SignatureNonceUsed" {
		t.Errorf("replay: %d %v", status, body)
	}
}
