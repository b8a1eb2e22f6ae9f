package simulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
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
	params = map[string]string{}
	for k, vs := range r.URL.Query() {
		params[k] = vs[0]
	}
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, err
		}
		for k, vs := range form {
			params[k] = vs[0]
		}
	}
	return params, body, nil
}

// stringToSign returns the string a version 1.0 RPC signature signs: the
// method, the encoded path "/" and the encoded canonical query (every
// parameter but Signature, sorted by name, names and values
// percent-encoded).
func stringToSign(method string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = percentEncode(k) + "=" + percentEncode(params[k])
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(strings.Join(pairs, "&"))
}

// sign returns the base64 HMAC-SHA1 of s keyed with secret + "&".
func sign(s, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// percentEncode encodes s as RFC 3986 requires: every byte but the unreserved
// characters A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex).
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
