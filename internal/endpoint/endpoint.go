// Package endpoint holds the rule for the addresses the portal calls out
// to (the cloud's API, a webhook receiver, the identity provider): https://,
// or plain http:// only to a loopback host, where a local simulator or a
// test's receiver listens.
//
// The cloud client refuses an endpoint that breaks it, and config checks
// each variable against it at start so that the error names the variable.
// Both read it here, a package that imports only the standard library, so
// that config need not import the cloud client (and the cloud's SDK) to
// check a URL.
package endpoint

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Parse splits an API endpoint, scheme://host[:port] and nothing more, and
// refuses plain http:// to a host that is not loopback.
func Parse(endpoint string) (scheme, host string, err error) {
	if endpoint == "" {
		return "", "", errors.New("the endpoint is empty (expected scheme://host[:port])")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", fmt.Errorf("endpoint %q is not a URL: %w", endpoint, err)
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("endpoint %q must be scheme://host[:port], nothing more", endpoint)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return "", "", fmt.Errorf("endpoint %q uses plain http:// to a host that is not loopback: the real API must be reached over https:// (http:// is only for a local simulator on 127.0.0.1, ::1 or localhost)", endpoint)
		}
	default:
		return "", "", fmt.Errorf("endpoint %q must start with https:// (or http:// for a loopback simulator)", endpoint)
	}
	return u.Scheme, u.Host, nil
}

// IsLoopbackHost reports whether host is localhost or a loopback IP address:
// the only hosts plain http:// may reach.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
