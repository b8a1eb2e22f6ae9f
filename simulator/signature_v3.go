package simulator

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Signature version 3, which the current official SDKs (the V2.0 SDKs, the
// CLI, Terraform) send: the call's name and version travel in headers, the
// Authorization header carries
//
//	ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2;…>,Signature=<hex>
//
// and the signature is the hex HMAC-SHA256, keyed with the secret, of
//
//	"ACS3-HMAC-SHA256\n" + hex(sha256(canonical request))
//
// where the canonical request is the method, the canonical URI, the canonical
// query string, the canonical headers, the signed headers and the hex SHA-256
// of the body, one per line.
const (
	v3Algorithm = "ACS3-HMAC-SHA256"
	// v3Prefix starts the Authorization header of every version 3
	// algorithm, supported or not.
	v3Prefix = "ACS3-"
)

// v3RequiredHeaders are the headers a version 3 call must send and sign:
// everything the simulator reads from the headers is covered by the
// signature.
var v3RequiredHeaders = []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}

// isV3 reports whether r is signed with signature version 3.
func isV3(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), v3Prefix)
}

// v3Authorization is a parsed version 3 Authorization header.
type v3Authorization struct {
	algorithm     string
	accessKeyID   string
	signedHeaders string // as sent: "host;x-acs-action;…"
	signature     string
}

// errIncompleteSignature is the real API's answer to an Authorization header
// it cannot read.
var errIncompleteSignature = &apiError{http.StatusBadRequest, "IncompleteSignature",
	"The request signature does not conform to Aliyun standards."}

// parseV3Authorization reads "ALGORITHM Credential=…,SignedHeaders=…,Signature=…".
func parseV3Authorization(header string) (v3Authorization, bool) {
	algorithm, rest, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok {
		return v3Authorization{}, false
	}
	a := v3Authorization{algorithm: algorithm}
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return v3Authorization{}, false
		}
		switch name {
		case "Credential":
			a.accessKeyID = value
		case "SignedHeaders":
			a.signedHeaders = value
		case "Signature":
			a.signature = value
		default:
			return v3Authorization{}, false
		}
	}
	if a.accessKeyID == "" || a.signedHeaders == "" || a.signature == "" {
		return v3Authorization{}, false
	}
	return a, true
}

// authenticateV3 checks a version 3 call: its headers, its time and the
// signature over the method, path, query, signed headers and body, against
// the same key pair as version 1, with the real API's codes.
func (s *Simulator) authenticateV3(r *http.Request, body []byte) *apiError {
	auth, ok := parseV3Authorization(r.Header.Get("Authorization"))
	if !ok {
		return errIncompleteSignature
	}
	if auth.algorithm != v3Algorithm {
		return &apiError{http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid; use " + v3Algorithm + "."}
	}
	signed := strings.Split(auth.signedHeaders, ";")
	for _, name := range v3RequiredHeaders {
		if name != "host" && r.Header.Get(name) == "" {
			return &apiError{http.StatusBadRequest, "MissingParameter",
				"The input parameter \"" + name + "\" that is mandatory for processing this request is not supplied."}
		}
		if !slices.Contains(signed, name) {
			return errIncompleteSignature
		}
	}
	if r.Header.Get("x-acs-version") != apiVersion {
		return &apiError{http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid."}
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", r.Header.Get("x-acs-date"))
	if err != nil {
		return &apiError{http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."}
	}
	if d := time.Since(ts); d > timestampWindow || d < -timestampWindow {
		return &apiError{http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."}
	}
	if subtle.ConstantTimeCompare([]byte(auth.accessKeyID), []byte(s.accessKeyID)) != 1 {
		return errKeyNotFound
	}
	toSign := v3StringToSign(v3CanonicalRequest(r, auth.signedHeaders, body))
	if !hmacEqual(signV3(toSign, s.accessKeySecret), strings.ToLower(auth.signature)) {
		return errSignatureMismatch(toSign)
	}
	if !s.nonces.add(r.Header.Get("x-acs-signature-nonce"), ts) {
		return errNonceUsed
	}
	return nil
}

// v3CanonicalRequest builds the canonical request of r as the server sees it.
// The body's hash is computed from the body received, never taken from the
// x-acs-content-sha256 header: a body changed on the way fails the signature.
func v3CanonicalRequest(r *http.Request, signedHeaders string, body []byte) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	payload := sha256.Sum256(body)
	return strings.Join([]string{
		r.Method,
		path,
		v3CanonicalQuery(r),
		v3CanonicalHeaders(r, signedHeaders),
		signedHeaders,
		hex.EncodeToString(payload[:]),
	}, "\n")
}

// v3CanonicalQuery is the query string's parameters sorted by name (then
// value), each name and value percent-encoded as RFC 3986 says, joined by
// "=" ("name=" for an empty value) and "&".
func v3CanonicalQuery(r *http.Request) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, pair{percentEncode(k), percentEncode(v)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(strings.Compare(a.k, b.k), strings.Compare(a.v, b.v))
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// v3CanonicalHeaders is one "name:value\n" line per signed header, in the
// order the caller listed them: the name in lower case, the values trimmed,
// several values sorted and joined by commas.
func v3CanonicalHeaders(r *http.Request, signedHeaders string) string {
	var b strings.Builder
	for name := range strings.SplitSeq(signedHeaders, ";") {
		name = strings.ToLower(strings.TrimSpace(name))
		var values []string
		if name == "host" {
			values = []string{r.Host}
		} else {
			for _, v := range r.Header.Values(name) {
				values = append(values, strings.TrimSpace(v))
			}
		}
		slices.Sort(values)
		b.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	return b.String()
}

// v3StringToSign returns the string a version 3 signature signs.
func v3StringToSign(canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return v3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// signV3 returns the hex HMAC-SHA256 of s keyed with secret.
func signV3(s, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(s))
	return hex.EncodeToString(mac.Sum(nil))
}
