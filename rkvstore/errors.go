package rkvstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// ErrorClass says what the caller of the API should do about an error.
type ErrorClass int

const (
	// Retryable: the cloud did not act on the request (throttled, briefly
	// unavailable, failed internally, or the request never left this
	// process). Back off and send it again, with the same Token.
	Retryable ErrorClass = iota + 1
	// OutcomeUnknown: the request may have reached the cloud and been acted
	// on, but no answer came back (timeout, connection reset, no response).
	// For CreateInstance the instance may exist: retry with the same Token,
	// which returns it if it does, and never conclude that it does not.
	OutcomeUnknown
	// Permanent: the cloud refused the request (invalid or missing
	// parameter, quota, authentication, token reused with other parameters)
	// or the client is misconfigured. Sending it again gives the same answer.
	Permanent
)

// String returns the class's name.
func (c ErrorClass) String() string {
	switch c {
	case Retryable:
		return "retryable"
	case OutcomeUnknown:
		return "outcome unknown"
	case Permanent:
		return "permanent"
	}
	return fmt.Sprintf("ErrorClass(%d)", int(c))
}

// Codes given to errors that did not come from the cloud: the request failed
// in this process or on the network, so there is no cloud code to quote.
const (
	CodeTimeout          = "Transport.Timeout"
	CodeCanceled         = "Transport.Canceled"
	CodeConnectionFailed = "Transport.ConnectionFailed"
	CodeConnectionLost   = "Transport.ConnectionLost"
	CodeTLS              = "Transport.TLS"
	CodeTransportUnknown = "Transport.Unknown"
	// CodeNotSent: the request was refused before it was sent (bad client
	// configuration or arguments, or the caller's context already ended).
	CodeNotSent = "Client.NotSent"
)

// CodeInstanceNotFound is the cloud's code for an unknown InstanceId.
const CodeInstanceNotFound = "InvalidInstanceId.NotFound"

// APIError is an error from a call to the R-KVStore API, classified. Code,
// Message and RequestId are the cloud's when it answered; Message never holds
// a secret (passwords, signatures and the request URL are removed), so it may
// be shown to people and logged.
type APIError struct {
	Class ErrorClass
	// Action is the API action that failed, e.g. "CreateInstance".
	Action     string
	Code       string
	Message    string
	RequestId  string
	HTTPStatus int
	// Err is the underlying cause with any secret removed (nil when the cloud
	// answered with an error: everything it said is in the fields above).
	Err error
}

// Error describes the failure without any secret.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("r-kvstore")
	if e.Action != "" {
		b.WriteString(" " + e.Action)
	}
	fmt.Fprintf(&b, ": %s (%s)", e.Code, e.Class)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestId != "" {
		b.WriteString("; RequestId " + e.RequestId)
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, "; HTTP %d", e.HTTPStatus)
	}
	return b.String()
}

// Unwrap returns the sanitized underlying cause, if any.
func (e *APIError) Unwrap() error { return e.Err }

// Classify turns any error from an API call into an *APIError (nil for nil).
// An *APIError anywhere in err's chain is returned as it is.
//
// The rules, in order:
//
//   - A cloud answer with an error code is classified by its code (see
//     classifyCode), then by HTTP status: 5xx and 429 retryable, except a 504
//     gateway timeout without a cloud code, which is outcome-unknown (a proxy
//     gave up waiting for the cloud, which may still have acted); any other
//     status permanent.
//   - A connection that could not be made (refused, unreachable, DNS, dial
//     timeout) is retryable: nothing was sent, so the cloud cannot have acted,
//     and trying again later is safe even without a token.
//   - A certificate the client does not trust is permanent: it is a
//     configuration problem that retrying does not fix.
//   - Everything else that happened once the connection was made — a
//     timeout, a reset, EOF without a response, the caller's context ending
//     during the call, a response that could not be parsed — is
//     outcome-unknown, as is any error this function does not recognise:
//     when in doubt, assume the request may have reached the cloud.
func Classify(err error) *APIError {
	if err == nil {
		return nil
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr
	}
	if serverErr, ok := errors.AsType[*sdkerrors.ServerError](err); ok {
		return classifyServerError(serverErr)
	}
	if clientErr, ok := errors.AsType[*sdkerrors.ClientError](err); ok {
		return classifySDKClientError(clientErr)
	}
	return classifyTransport(err)
}

// classifyServerError classifies an error answer from the cloud.
func classifyServerError(e *sdkerrors.ServerError) *APIError {
	return classifyAnswer(e.HttpStatus(), e.ErrorCode(), e.Message(), e.RequestId())
}

// classifyAnswer classifies an answer of the cloud that is not a success:
// its HTTP status and, when its body is the API's JSON error, the code,
// message and request id in it ("" when not).
func classifyAnswer(status int, code, message, requestID string) *APIError {
	out := &APIError{
		Code:       code,
		Message:    Redact(message),
		RequestId:  requestID,
		HTTPStatus: status,
	}
	if class, ok := classifyCode(out.Code); ok {
		out.Class = class
		return out
	}
	switch {
	case status == http.StatusGatewayTimeout && out.Code == "":
		out.Class = OutcomeUnknown
	case status >= 500 || status == http.StatusTooManyRequests:
		out.Class = Retryable
	default:
		out.Class = Permanent
	}
	if out.Code == "" {
		// Not the API's JSON error (a proxy's HTML page, say): its body says
		// nothing useful and could be long, so keep the status alone.
		out.Code = fmt.Sprintf("HTTP%d", status)
		out.Message = http.StatusText(status)
	}
	return out
}

// classifyCode classifies the cloud's error codes that say what they mean,
// whatever the HTTP status they came with.
func classifyCode(code string) (ErrorClass, bool) {
	switch {
	case code == "Throttling" || strings.HasPrefix(code, "Throttling."),
		code == "ServiceUnavailable" || strings.HasPrefix(code, "ServiceUnavailable."),
		code == "InternalError" || strings.HasPrefix(code, "InternalError."),
		code == "UnknownError", code == "SystemBusy", code == "ServiceBusy",
		code == "RequestTimeout" || code == "Request.Timeout",
		// The instance is busy with another change: the same call succeeds
		// once that change is done, so it is retried later, not failed.
		code == CodeTaskConflict, code == CodeIncorrectState:
		return Retryable, true
	case code == CodeReleaseProtection:
		// Stays refused until someone turns the protection off.
		return Permanent, true
	case code == "IdempotentParameterMismatch",
		code == "SignatureDoesNotMatch", code == "IncompleteSignature",
		code == "SignatureNonceUsed",
		strings.HasPrefix(code, "Forbidden"),
		// InvalidParameter*, InvalidAccessKeyId*, InvalidInstanceId.NotFound ...
		strings.HasPrefix(code, "Invalid"),
		// MissingParameter*, MissingAccessKeyId ...
		strings.HasPrefix(code, "Missing"),
		strings.Contains(strings.ToLower(code), "quota"):
		return Permanent, true
	}
	return 0, false
}

// classifySDKClientError classifies an error the SDK raised itself.
func classifySDKClientError(e *sdkerrors.ClientError) *APIError {
	if e.ErrorCode() == sdkerrors.JsonUnmarshalErrorCode {
		// The cloud answered 2xx with a body the SDK could not read: it did
		// act, but what it made (an InstanceId) is unknown.
		return &APIError{Class: OutcomeUnknown, Code: e.ErrorCode(), Message: "the answer could not be read; the request may have been acted on"}
	}
	if origin := e.OriginError(); origin != nil {
		return classifyTransport(origin) // the SDK's own retries gave up
	}
	// Raised while building or signing the request: nothing was sent.
	return &APIError{Class: Permanent, Code: e.ErrorCode(), Message: Redact(e.Message())}
}

// classifyTransport classifies an error from the network or the caller's
// context.
func classifyTransport(err error) *APIError {
	out := &APIError{Err: sanitize(err)}
	var (
		opErr   *net.OpError
		dnsErr  *net.DNSError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
		verify  *tls.CertificateVerificationError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &host), errors.As(err, &verify):
		out.Class, out.Code = Permanent, CodeTLS
		out.Message = "the endpoint's TLS certificate is not trusted"
	case errors.As(err, &dnsErr):
		out.Class, out.Code = Retryable, CodeConnectionFailed
		out.Message = "the endpoint's host name could not be resolved; nothing was sent"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		out.Class, out.Code = Retryable, CodeConnectionFailed
		out.Message = "could not connect to the endpoint; nothing was sent"
	// A timeout first: the HTTP client's own (Client.Timeout) cancels the
	// request and says so as a net.Error whose Timeout is true, around a
	// cancellation; only a cancellation that is no timeout is the caller's.
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		out.Class, out.Code = OutcomeUnknown, CodeTimeout
		out.Message = "no answer in time; the request may have been acted on"
	case errors.Is(err, context.Canceled):
		out.Class, out.Code = OutcomeUnknown, CodeCanceled
		out.Message = "the call was cancelled before an answer came; the request may have been acted on"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		out.Class, out.Code = OutcomeUnknown, CodeConnectionLost
		out.Message = "the connection closed before an answer came; the request may have been acted on"
	default:
		out.Class, out.Code = OutcomeUnknown, CodeTransportUnknown
		out.Message = "the call failed in an unexpected way; the request may have been acted on: " + Redact(out.Err.Error())
	}
	return out
}

// sanitize returns err with the request URL (which carries every parameter,
// the Password among them) reduced to its scheme and host.
func sanitize(err error) error {
	urlErr, ok := errors.AsType[*url.Error](err)
	if !ok {
		return err
	}
	return &url.Error{Op: urlErr.Op, URL: hostOnly(urlErr.URL), Err: urlErr.Err}
}

// hostOnly returns scheme://host of a URL, or "" when it cannot be parsed.
func hostOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// secretParams are the request parameters whose values must never appear in
// an error message.
var secretParams = []string{"Password", "Signature", "SecurityToken", "AccessKeySecret", "BearerToken"}

// signatureEcho is the text with which the cloud starts quoting its string to
// sign (every request parameter, the Password among them) in a
// SignatureDoesNotMatch message.
const signatureEcho = "server string to sign is:"

// Redact removes secrets from a message: whatever follows the cloud's "server
// string to sign is:", and the value of any secret parameter
// (Password=..., also percent-encoded once or twice).
func Redact(msg string) string {
	if i := strings.Index(msg, signatureEcho); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	for _, name := range secretParams {
		msg = redactParam(msg, name)
	}
	return msg
}

// redactParam replaces the value after every "name=" (or "name%3D",
// "name%253D") in msg with "[redacted]". The value ends at '&', its encoded
// forms, white space or a quote.
func redactParam(msg, name string) string {
	var b strings.Builder
	lower := strings.ToLower(msg)
	key := strings.ToLower(name)
	for {
		i := strings.Index(lower, key)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		j := i + len(key)
		sep := ""
		for _, s := range []string{"=", "%3d", "%253d"} {
			if strings.HasPrefix(lower[j:], s) {
				sep = s
				break
			}
		}
		if sep == "" {
			b.WriteString(msg[:j])
			msg, lower = msg[j:], lower[j:]
			continue
		}
		j += len(sep)
		end := j
		for end < len(lower) && !strings.ContainsRune("& \t\r\n\"'", rune(lower[end])) &&
			!strings.HasPrefix(lower[end:], "%26") && !strings.HasPrefix(lower[end:], "%2526") {
			end++
		}
		b.WriteString(msg[:j])
		b.WriteString("[redacted]")
		msg, lower = msg[end:], lower[end:]
	}
}
