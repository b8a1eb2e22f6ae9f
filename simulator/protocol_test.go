package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/internal/testfix"
)

func TestStringToSign(t *testing.T) {
	t.Parallel()
	// The canonical examples of signature version 1.0.
	got := stringToSign("GET", map[string]string{"key": "value", "q": "http://domain/?q=value&q2=value2", "Signature": "ignored"})
	want := "GET&%2F&key%3Dvalue%26q%3Dhttp%253A%252F%252Fdomain%252F%253Fq%253Dvalue%2526q2%253Dvalue2"
	if got != want {
		t.Errorf("stringToSign =\n %s\nwant\n %s", got, want)
	}
	if got := stringToSign("POST", nil); got != "POST&%2F&" {
		t.Errorf("stringToSign of nothing = %q", got)
	}
}

func TestPercentEncode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"AZaz09-_.~": "AZaz09-_.~",
		"a b":        "a%20b",
		"a*b":        "a%2Ab",
		"a+b/c=d&e":  "a%2Bb%2Fc%3Dd%26e",
		"中":          "%E4%B8%AD",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

const (
	testKeyID  = "test-key-id"
	testSecret = "test-key-secret"
)

// newTestServer serves a fresh simulator.
func newTestServer(t *testing.T) (*Simulator, *httptest.Server) {
	t.Helper()
	sim, err := New(Config{AccessKeyID: testKeyID, AccessKeySecret: testSecret, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

// signed returns the parameters of a call of action, with the common
// parameters and a valid signature for method.
func signed(method, action string, extra map[string]string) url.Values {
	params := map[string]string{
		"Action":           action,
		"Version":          apiVersion,
		"Format":           "JSON",
		"AccessKeyId":      testKeyID,
		"SignatureMethod":  signatureMethod,
		"SignatureVersion": signatureVersion,
		"SignatureNonce":   fmt.Sprint(time.Now().UnixNano()),
		"Timestamp":        time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"RegionId":         "cn-hangzhou",
	}
	for k, v := range extra {
		params[k] = v
	}
	params["Signature"] = sign(stringToSign(method, params), testSecret)
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	return form
}

// post sends form as a POST body and decodes the JSON answer.
func post(t *testing.T, srv *httptest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("answer is not JSON: %s", body)
	}
	return resp.StatusCode, out
}

// wantError checks an error answer's status, code and shape.
func wantError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || body["Code"] != wantCode {
		t.Fatalf("answer %d %v, want %d %s", status, body, wantStatus, wantCode)
	}
	for _, field := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
		if s, _ := body[field].(string); s == "" {
			t.Errorf("error answer lacks %s: %v", field, body)
		}
	}
}

func TestSignedFormBodyAccepted(t *testing.T) {
	t.Parallel()
	_, srv := newTestServer(t)
	status, body := post(t, srv, signed("POST", "DescribeRegions", nil))
	if status != http.StatusOK || body["RequestId"] == "" || body["RegionIds"] == nil {
		t.Fatalf("answer %d %v", status, body)
	}
}

func TestSignedQueryAccepted(t *testing.T) {
	t.Parallel()
	_, srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/?" + signed("GET", "DescribeRegions", nil).Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET with a signed query: status %d", resp.StatusCode)
	}
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	_, srv := newTestServer(t)

	status, body := post(t, srv, url.Values{})
	wantError(t, status, body, 400, "MissingParameter")

	status, body = post(t, srv, url.Values{"Action": {"DescribeRegions"}})
	wantError(t, status, body, 400, "MissingAccessKeyId")

	form := signed("POST", "DescribeRegions", nil)
	form.Set("RegionId", "cn-beijing") // changed after signing
	status, body = post(t, srv, form)
	wantError(t, status, body, 400, "SignatureDoesNotMatch")
	if !strings.Contains(body["Message"].(string), "server string to sign is:POST&%2F&") {
		t.Errorf("message %q does not quote the string to sign", body["Message"])
	}

	status, body = post(t, srv, signed("POST", "DeleteEverything", nil))
	wantError(t, status, body, 404, "InvalidAction.NotFound")

	status, body = post(t, srv, signed("POST", "DescribeRegions", map[string]string{"Version": "2014-01-01"}))
	wantError(t, status, body, 400, "InvalidVersion")

	old := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	status, body = post(t, srv, signed("POST", "DescribeRegions", map[string]string{"Timestamp": old}))
	wantError(t, status, body, 400, "InvalidTimeStamp.Expired")

	status, body = post(t, srv, signed("POST", "DescribeRegions", map[string]string{"SignatureMethod": "HMAC-SHA256"}))
	wantError(t, status, body, 400, "InvalidSignatureMethod")
}

func TestReplayedNonceRefused(t *testing.T) {
	t.Parallel()
	_, srv := newTestServer(t)
	form := signed("POST", "DescribeRegions", nil)
	if status, body := post(t, srv, form); status != 200 {
		t.Fatalf("first call: %d %v", status, body)
	}
	status, body := post(t, srv, form)
	wantError(t, status, body, 400, "SignatureNonceUsed")
}

func TestCallsAndHook(t *testing.T) {
	t.Parallel()
	sim, srv := newTestServer(t)
	var got []string
	sim.CallHook(func(action string, form url.Values) { got = append(got, action+":"+form.Get("RegionId")) })
	post(t, srv, signed("POST", "DescribeRegions", nil))
	post(t, srv, signed("POST", "DescribeAvailableResource", map[string]string{"RegionId": "cn-beijing"}))
	sim.CallHook(nil)
	post(t, srv, signed("POST", "DescribeRegions", nil))
	if strings.Join(got, ",") != "DescribeRegions:cn-hangzhou,DescribeAvailableResource:cn-beijing" {
		t.Errorf("hook saw %v", got)
	}
	if sim.Calls("DescribeRegions") != 2 || sim.Calls("DescribeAvailableResource") != 1 || sim.Calls("CreateInstance") != 0 {
		t.Errorf("calls: %d %d %d", sim.Calls("DescribeRegions"), sim.Calls("DescribeAvailableResource"), sim.Calls("CreateInstance"))
	}
}

func TestDescribePriceErrors(t *testing.T) {
	t.Parallel()
	_, srv := newTestServer(t)
	status, body := post(t, srv, signed("POST", "DescribePrice", map[string]string{"InstanceClass": testfix.InstanceClass}))
	wantError(t, status, body, 400, "MissingParameter")
	status, body = post(t, srv, signed("POST", "DescribePrice", map[string]string{"OrderType": "BUY", "InstanceClass": "redis.master.huge"}))
	wantError(t, status, body, 400, "InvalidParameter")
	status, body = post(t, srv, signed("POST", "DescribePrice", map[string]string{
		"OrderType": "BUY", "InstanceClass": testfix.InstanceClass, "ChargeType": "PrePaid", "Period": "10",
	}))
	wantError(t, status, body, 400, "InvalidParameter")
}

func TestCatalogIsNotUniform(t *testing.T) {
	t.Parallel()
	cat := buildCatalog()
	if len(cat.Regions) < 6 {
		t.Errorf("%d regions, want at least 6", len(cat.Regions))
	}
	counts := map[string]int{}
	for _, o := range cat.Offers {
		counts[o.ZoneId]++
	}
	distinct := map[int]bool{}
	for _, n := range counts {
		distinct[n] = true
	}
	if len(distinct) < 3 {
		t.Errorf("offer counts per zone %v, want zones to differ", counts)
	}
	if _, ok := cat.Offer("cn-hangzhou", "cn-hangzhou-i", "Memcache", "2.8", "memcache.master.small.default"); ok {
		t.Error("cn-hangzhou-i sells Memcache, want it not to")
	}
}

// parseQuery reads what url.ParseQuery reads, first values first.
func TestParseQueryAsNetURL(t *testing.T) {
	for _, q := range []string{
		"", "a=1", "a=1&b=2&a=3", "a=%41%42+c&&=x&b", "a=1;b=2&c=3", "a=%zz&b=2", "%zz=1&b=%41",
		"Action=CreateInstance&Tag.1.Key=k%20v&Tag.1.Value=%E8%AE%A2", strings.Repeat("a=1&", 10000) + "b=2",
	} {
		want, wantErr := url.ParseQuery(q)
		got := map[string]string{}
		gotErr := parseQuery(q, func(k, v string) {
			if _, seen := got[k]; !seen {
				got[k] = v
			}
		})
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%.40q: error %v, want %v", q, gotErr, wantErr)
		}
		if len(got) != len(want) {
			t.Errorf("%.40q: %d names, want %d", q, len(got), len(want))
		}
		for k, vs := range want {
			if got[k] != vs[0] {
				t.Errorf("%.40q: %s = %q, want %q", q, k, got[k], vs[0])
			}
		}
	}
}

// stringToSign's one pass gives what encoding the canonical query twice
// gives.
func TestStringToSignEncodesTwice(t *testing.T) {
	params := map[string]string{"Action": "CreateInstance", "InstanceName": "订单 cache*~", "Signature": "x", "Tag.1.Key": "a=b&c", "Empty": ""}
	keys := []string{"Action", "Empty", "InstanceName", "Tag.1.Key"}
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = percentEncode(k) + "=" + percentEncode(params[k])
	}
	want := "POST&" + percentEncode("/") + "&" + percentEncode(strings.Join(pairs, "&"))
	if got := stringToSign("POST", params); got != want {
		t.Errorf("stringToSign = %q, want %q", got, want)
	}
}

// requestID writes what its fmt format would.
func TestRequestIDAsFormat(t *testing.T) {
	for _, v := range [][2]uint64{{0, 0}, {^uint64(0), ^uint64(0)}, {0x0123456789abcdef, 0xfedcba9876543210}, {1, 1 << 63}} {
		a, b := v[0], v[1]
		want := fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
		if got := requestID(a, b); got != want {
			t.Errorf("requestID(%x, %x) = %s, want %s", a, b, got, want)
		}
	}
}
