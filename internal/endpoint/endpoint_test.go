package endpoint_test

import (
	"strings"
	"testing"

	"github.com/kvportal/kvportal/internal/endpoint"
)

// The rule both the cloud client and config hold an endpoint to.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, scheme, host, err string
	}{
		{in: "https://r-kvstore.aliyuncs.com", scheme: "https", host: "r-kvstore.aliyuncs.com"},
		{in: "https://r-kvstore.example:8443/", scheme: "https", host: "r-kvstore.example:8443"},
		{in: "http://127.0.0.1:9400", scheme: "http", host: "127.0.0.1:9400"},
		{in: "http://[::1]:9400", scheme: "http", host: "[::1]:9400"},
		{in: "http://LocalHost:9400", scheme: "http", host: "LocalHost:9400"},
		{in: "", err: "the endpoint is empty"},
		{in: "http://r-kvstore.example", err: "plain http:// to a host that is not loopback"},
		{in: "ftp://127.0.0.1", err: "must start with https://"},
		{in: "https://r-kvstore.example/v1", err: "nothing more"},
		{in: "https://u:p@r-kvstore.example", err: "nothing more"},
		{in: "https://r-kvstore.example?x=1", err: "nothing more"},
		{in: "r-kvstore.example", err: "nothing more"},
	} {
		scheme, host, err := endpoint.Parse(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Parse(%q): error %v, want one saying %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || scheme != tc.scheme || host != tc.host):
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q", tc.in, scheme, host, err, tc.scheme, tc.host)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "127.8.0.1": true, "::1": true,
		"10.0.0.1": false, "example.com": false, "": false, "localhost.example.com": false} {
		if got := endpoint.IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
