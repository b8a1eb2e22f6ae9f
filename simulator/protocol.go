package simulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The wire protocol of the API: RPC style, parameters in the query string
// and/or a form body, signature version 1.0 with HMAC-SHA1, JSON answers.
const (
	apiVersion       = "2015-01-01"
	signatureMethod  = "HMAC-SHA1"
	signatureVersion = "1.0"
	// hostID is what the real API puts in an error's HostId.
	hostID = "r-kvstore.aliyuncs.com"
	// maxBodyBytes bounds a request body.
	maxBodyBytes = 1 << 20
)

// apiError is an error answer: its HTTP status and the JSON body fields.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorBody is the JSON of an error answer, in the API's shape.
type errorBody struct {
	RequestId string `json:"RequestId"`
	HostId    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

// The API's errors the simulator answers with, in the real API's words.
func errMissing(param string) *apiError {
	return &apiError{http.StatusBadRequest, "MissingParameter",
		fmt.Sprintf("The input parameter %q that is mandatory for processing this request is not supplied.", param)}
}

func errInvalid(param, why string) *apiError {
	msg := fmt.Sprintf("The specified parameter %q is not valid.", param)
	if why != "" {
		msg = fmt.Sprintf("The specified parameter %q is not valid: %s.", param, strings.TrimSuffix(why, "."))
	}
	return &apiError{http.StatusBadRequest, "InvalidParameter", msg}
}

var (
	errThrottled = &apiError{http.StatusBadRequest, "Throttling.User",
		"Request was denied due to user flow control."}
	errUnavailable = &apiError{http.StatusServiceUnavailable, "ServiceUnavailable",
		"The request has failed due to a temporary failure of the server."}
	errInternal = &apiError{http.StatusInternalServerError, "InternalError",
		"The request processing has failed due to some unknown error, exception or failure."}
	errKeyNotFound = &apiError{http.StatusNotFound, "InvalidAccessKeyId.NotFound",
		"Specified access key is not found."}
	errNonceUsed = &apiError{http.StatusBadRequest, "SignatureNonceUsed",
		"Specified signature nonce was used already."}
	errActionNotFound = &apiError{http.StatusNotFound, "InvalidAction.NotFound",
		"Specified api is not found, please check your url and method."}
	errIdempotentMismatch = &apiError{http.StatusBadRequest, "IdempotentParameterMismatch",
		"The request uses the same client token as a previous, but non-identical request."}
	errInstanceNotFound = &apiError{http.StatusNotFound, "InvalidInstanceId.NotFound",
		"The specified instance is not found."}
	// errDryRunPassed is how the API answers a dry run it would have
	// accepted: an error, so that nothing can mistake it for a creation.
	errDryRunPassed = &apiError{http.StatusBadRequest, "DryRunOperation",
		"Request validation has been passed with DryRun flag set."}
	errResourceNotAvailable = &apiError{http.StatusBadRequest, "ResourceNotAvailable",
		"Resource you requested is not available in this region or zone."}
	errQuotaExceeded = &apiError{http.StatusBadRequest, "QuotaExceed.Instance",
		"Living instance quota exceeded."}
)

// errSignatureMismatch is the real API's answer to a wrong signature: like
// it, it quotes the string it signed, which the SDK compares with its own.
func errSignatureMismatch(stringToSign string) *apiError {
	return &apiError{http.StatusBadRequest, "SignatureDoesNotMatch",
		"Specified signature is not matched with our calculation. server string to sign is:" + stringToSign}
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, requestID string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{RequestId: requestID, HostId: hostID, Code: errInternal.Code, Message: errInternal.Message})
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers with e in the API's error shape.
func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	writeJSON(w, e.Status, requestID, errorBody{
		RequestId: requestID,
		HostId:    hostID,
		Code:      e.Code,
		Message:   e.Message,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.Code) + "&product=R-kvstore",
	})
}

// readRequest returns the parameters of an RPC request, those of the query
// string overridden by those of a form body, one value each, as the SDKs sign
// them; and the body as received, which a version 3 signature hashes.
func readRequest(r *http.Request) (params map[string]string, body []byte, err error) {
	body, err = io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return nil, nil, err
	}
	params = make(map[string]string, 48)
	// As r.URL.Query(), whose malformed pairs are left out, but straight
	// into params, without a list of values for each.
	_ = parseQuery(r.URL.RawQuery, func(k, v string) {
		if _, seen := params[k]; !seen {
			params[k] = v
		}
	})
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType == "application/x-www-form-urlencoded" {
		form := map[string]string{}
		err := parseQuery(string(body), func(k, v string) {
			if _, seen := form[k]; !seen {
				form[k] = v
			}
		})
		if err != nil {
			return nil, nil, err
		}
		for k, v := range form {
			params[k] = v
		}
	}
	return params, body, nil
}

// maxQueryParams is net/url's default limit on the pairs of a query.
const maxQueryParams = 10000

// parseQuery reads a query string as url.ParseQuery does, handing each
// name and value to add in order: a pair that does not decode is left out
// and the first such error returned; a query of more than maxQueryParams
// pairs is refused whole.
func parseQuery(query string, add func(k, v string)) (err error) {
	if strings.Count(query, "&") >= maxQueryParams {
		return errors.New("number of URL query parameters exceeded limit")
	}
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if strings.Contains(pair, ";") {
			if err == nil {
				err = errors.New("invalid semicolon separator in query")
			}
			continue
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		v, err1 = url.QueryUnescape(v)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		add(k, v)
	}
	return err
}

// stringToSign returns the string a version 1.0 RPC signature signs: the
// method, the encoded path "/" and the encoded canonical query (every
// parameter but Signature, sorted by name, names and values
// percent-encoded).
func stringToSign(method string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	size := len(method) + 6
	for k, v := range params {
		if k != "Signature" {
			keys = append(keys, k)
			size += 3*(len(k)+len(v)) + 6
		}
	}
	slices.Sort(keys)
	// The canonical query is encoded twice: once as pairs, then as a whole.
	// Both are written in one pass: a byte the first encoding keeps is kept
	// again, one it turns into %XX becomes %25XX, and the = and & between
	// names and values become %3D and %26.
	var b strings.Builder
	b.Grow(size)
	b.WriteString(method)
	b.WriteString("&%2F&")
	for i, k := range keys {
		if i > 0 {
			b.WriteString("%26")
		}
		percentEncodeTwice(&b, k)
		b.WriteString("%3D")
		percentEncodeTwice(&b, params[k])
	}
	return b.String()
}

// sign returns the base64 HMAC-SHA1 of s keyed with secret + "&".
func sign(s, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// unreserved reports whether c is one of the characters RFC 3986 leaves as
// they are: A-Z a-z 0-9 - _ . ~
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// percentEncode encodes s as RFC 3986 requires: every byte but the unreserved
// characters A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex).
func percentEncode(s string) string {
	var b strings.Builder
	writePercentEncoded(&b, s, "%")
	return b.String()
}

// percentEncodeTwice writes percentEncode(percentEncode(s)) to b: the second
// pass only turns each escape's % into %25, as the hex digits after it are
// unreserved.
func percentEncodeTwice(b *strings.Builder, s string) {
	writePercentEncoded(b, s, "%25")
}

// writePercentEncoded writes s to b with every byte but the unreserved ones
// as escape followed by its upper-case hex.
func writePercentEncoded(b *strings.Builder, s, escape string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteString(escape)
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}
