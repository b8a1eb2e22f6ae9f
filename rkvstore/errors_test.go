package rkvstore

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// serverError builds the error the SDK returns for an error answer.
func serverError(status int, code, message string) error {
	body := fmt.Sprintf(`{"RequestId":"REQ-1","HostId":"r-kvstore.aliyuncs.com","Code":%q,"Message":%q,"Recommend":""}`, code, message)
	return sdkerrors.NewServerError(status, body, "")
}

// transportError wraps err as the SDK's http.Client returns it, with the
// full request URL (and so the Password) in it.
func transportError(err error) error {
	return &url.Error{Op: "Post", URL: "https://r-kvstore.aliyuncs.com/?Action=CreateInstance&Password=Sup3rSecret9&Signature=abc%3D", Err: err}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		wantClass ErrorClass
		wantCode  string
	}{
		{"throttling", serverError(400, "Throttling", "Request was denied due to request throttling."), Retryable, "Throttling"},
		{"throttling user", serverError(400, "Throttling.User", "Request was denied due to user flow control."), Retryable, "Throttling.User"},
		{"throttling api", serverError(400, "Throttling.Api", "Request was denied due to api flow control."), Retryable, "Throttling.Api"},
		{"service unavailable", serverError(503, "ServiceUnavailable", "temporary failure"), Retryable, "ServiceUnavailable"},
		{"internal error", serverError(500, "InternalError", "unknown error"), Retryable, "InternalError"},
		{"unknown 5xx code", serverError(502, "SomethingBroke", "upstream"), Retryable, "SomethingBroke"},
		{"429 without code", sdkerrors.NewServerError(429, "slow down", ""), Retryable, "HTTP429"},
		{"502 proxy page", sdkerrors.NewServerError(502, "<html>bad gateway</html>", ""), Retryable, "HTTP502"},
		{"504 proxy page", sdkerrors.NewServerError(504, "<html>gateway timeout</html>", ""), OutcomeUnknown, "HTTP504"},
		{"invalid parameter", serverError(400, "InvalidParameter", `The specified parameter "Password" is not valid.`), Permanent, "InvalidParameter"},
		{"invalid parameter variant", serverError(400, "InvalidParameter.Format", "bad"), Permanent, "InvalidParameter.Format"},
		{"missing parameter", serverError(400, "MissingParameter", "InstanceClass missing"), Permanent, "MissingParameter"},
		{"missing access key", serverError(400, "MissingAccessKeyId", "AccessKeyId is mandatory"), Permanent, "MissingAccessKeyId"},
		{"quota", serverError(403, "QuotaExceed.Instance", "too many instances"), Permanent, "QuotaExceed.Instance"},
		{"quota on 5xx", serverError(500, "Account.QuotaExceeded", "quota"), Permanent, "Account.QuotaExceeded"},
		{"unknown access key", serverError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."), Permanent, "InvalidAccessKeyId.NotFound"},
		{"disabled access key", serverError(400, "InvalidAccessKeyId.Inactive", "disabled"), Permanent, "InvalidAccessKeyId.Inactive"},
		{"signature", serverError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."), Permanent, "SignatureDoesNotMatch"},
		{"forbidden", serverError(403, "Forbidden.RAM", "not authorized"), Permanent, "Forbidden.RAM"},
		{"token mismatch", serverError(400, "IdempotentParameterMismatch", "same token, other request"), Permanent, "IdempotentParameterMismatch"},
		{"unknown 4xx code", serverError(400, "Zone.Closed", "closed"), Permanent, "Zone.Closed"},
		{"instance not found", serverError(404, "InvalidInstanceId.NotFound", "not found"), Permanent, "InvalidInstanceId.NotFound"},
		{"task conflict", serverError(403, "Task.Conflict", "a change is running"), Retryable, "Task.Conflict"},
		{"instance busy", serverError(403, "IncorrectDBInstanceState", "not Normal"), Retryable, "IncorrectDBInstanceState"},
		{"release protection", serverError(403, "InstanceReleaseProtection", "protected"), Permanent, "InstanceReleaseProtection"},

		{"connection refused", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), Retryable, CodeConnectionFailed},
		{"dial timeout", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}), Retryable, CodeConnectionFailed},
		{"dns", transportError(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "r-kvstore.example"}}), Retryable, CodeConnectionFailed},
		{"read timeout", transportError(&net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}), OutcomeUnknown, CodeTimeout},
		{"client timeout", transportError(timeoutErr{}), OutcomeUnknown, CodeTimeout},
		{"deadline", transportError(context.DeadlineExceeded), OutcomeUnknown, CodeTimeout},
		{"bare deadline", context.DeadlineExceeded, OutcomeUnknown, CodeTimeout},
		{"canceled", transportError(context.Canceled), OutcomeUnknown, CodeCanceled},
		{"eof", transportError(io.EOF), OutcomeUnknown, CodeConnectionLost},
		{"unexpected eof", transportError(io.ErrUnexpectedEOF), OutcomeUnknown, CodeConnectionLost},
		{"reset", transportError(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), OutcomeUnknown, CodeConnectionLost},
		{"broken pipe", transportError(&net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}), OutcomeUnknown, CodeConnectionLost},
		{"unknown transport error", transportError(errors.New("something odd")), OutcomeUnknown, CodeTransportUnknown},
		{"untrusted certificate", transportError(x509.UnknownAuthorityError{}), Permanent, CodeTLS},

		{"sdk unparsable answer", sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, sdkerrors.JsonUnmarshalErrorMessage, errors.New("bad json")), OutcomeUnknown, sdkerrors.JsonUnmarshalErrorCode},
		{"sdk unparsable answer, no cause", sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, sdkerrors.JsonUnmarshalErrorMessage, nil), OutcomeUnknown, sdkerrors.JsonUnmarshalErrorCode},
		{"sdk retries exhausted", sdkerrors.NewClientError(sdkerrors.TimeoutErrorCode, "timed out", transportError(timeoutErr{})), OutcomeUnknown, CodeTimeout},
		{"sdk invalid param", sdkerrors.NewClientError(sdkerrors.InvalidParamErrorCode, "bad param", nil), Permanent, sdkerrors.InvalidParamErrorCode},

		{"already classified", fmt.Errorf("wrapped: %w", &APIError{Class: Retryable, Code: "X"}), Retryable, "X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Classify(tt.err)
			if got == nil {
				t.Fatal("Classify returned nil")
			}
			if got.Class != tt.wantClass || got.Code != tt.wantCode {
				t.Errorf("Classify = %s %q, want %s %q (%v)", got.Class, got.Code, tt.wantClass, tt.wantCode, got)
			}
			for _, secret := range []string{"Sup3rSecret9", "Signature=abc"} {
				if strings.Contains(got.Error(), secret) || strings.Contains(got.Message, secret) {
					t.Errorf("error shows a secret %q: %v", secret, got)
				}
				if got.Err != nil && strings.Contains(got.Err.Error(), secret) {
					t.Errorf("underlying error shows a secret %q: %v", secret, got.Err)
				}
			}
		})
	}
}

func TestClassifyNil(t *testing.T) {
	t.Parallel()
	if got := Classify(nil); got != nil {
		t.Errorf("Classify(nil) = %v, want nil", got)
	}
}

func TestClassifyCarriesCloudFields(t *testing.T) {
	t.Parallel()
	got := Classify(serverError(400, "InvalidParameter", "The specified parameter \"InstanceClass\" is not valid."))
	if got.RequestId != "REQ-1" || got.HTTPStatus != 400 || got.Message != `The specified parameter "InstanceClass" is not valid.` {
		t.Errorf("fields not carried: %+v", got)
	}
	if got.Err != nil {
		t.Errorf("Err = %v, want nil for a cloud answer", got.Err)
	}
}

func TestClassifyKeepsTransportCause(t *testing.T) {
	t.Parallel()
	got := Classify(transportError(context.DeadlineExceeded))
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, DeadlineExceeded) = false", got)
	}
	var urlErr *url.Error
	if !errors.As(got, &urlErr) || urlErr.URL != "https://r-kvstore.aliyuncs.com" {
		t.Errorf("url.Error not kept with the host only: %#v", urlErr)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{
			"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Dk%26Password%3DQa123456",
			"Specified signature is not matched with our calculation.",
		},
		{`Post "https://h/?Action=X&Password=Qa123456&RegionId=cn": EOF`, `Post "https://h/?Action=X&Password=[redacted]&RegionId=cn": EOF`},
		{"Password%3DQa123456%26Region", "Password%3D[redacted]%26Region"},
		{"password%253DQa1%2526x", "password%253D[redacted]%2526x"},
		{"Signature=abc+/=&x=1", "Signature=[redacted]&x=1"},
		{"SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA1"},
		{`The specified parameter "Password" is not valid.`, `The specified parameter "Password" is not valid.`},
		{"AccessKeySecret=s3cr3t", "AccessKeySecret=[redacted]"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorClassString(t *testing.T) {
	t.Parallel()
	for class, want := range map[ErrorClass]string{
		Retryable: "retryable", OutcomeUnknown: "outcome unknown", Permanent: "permanent", 0: "ErrorClass(0)",
	} {
		if got := class.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(class), got, want)
		}
	}
}

func TestAPIErrorMessage(t *testing.T) {
	t.Parallel()
	err := &APIError{Class: Permanent, Action: "CreateInstance", Code: "InvalidParameter", Message: "bad", RequestId: "R1", HTTPStatus: 400}
	want := "r-kvstore CreateInstance: InvalidParameter (permanent): bad; RequestId R1; HTTP 400"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
