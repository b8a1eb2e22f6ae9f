package rkvstore

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"github.com/kvportal/kvportal/internal/endpoint"
	"go.opentelemetry.io/otel/trace"
)

// Default timeouts of a Client.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultReadTimeout    = 30 * time.Second
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Endpoint is scheme://host[:port], e.g. https://r-kvstore.aliyuncs.com.
	// http:// is accepted only for a loopback host (the simulator).
	Endpoint string
	// AccessKeyID and AccessKeySecret sign every request. Both required.
	AccessKeyID     string
	AccessKeySecret string
	// ConnectTimeout bounds establishing the connection (TCP and TLS).
	// Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// ReadTimeout bounds a whole call, from connecting to reading the last
	// byte of the answer. Default DefaultReadTimeout.
	ReadTimeout time.Duration
	// TracerProvider, when set, makes a span of each call (named
	// "R-KVStore <Action>") inside the caller's span; nil makes none.
	TracerProvider trace.TracerProvider
}

// String describes the configuration without the secret, so that printing it
// is safe.
func (c ClientConfig) String() string {
	secret := "unset"
	if c.AccessKeySecret != "" {
		secret = "set"
	}
	return fmt.Sprintf("ClientConfig{Endpoint: %q, AccessKeyID: %q, AccessKeySecret: %s, ConnectTimeout: %s, ReadTimeout: %s}",
		c.Endpoint, c.AccessKeyID, secret, c.ConnectTimeout, c.ReadTimeout)
}

// GoString is String, so that %#v does not print the secret either.
func (c ClientConfig) GoString() string { return c.String() }

// Client calls the R-KVStore API through the official Alibaba Cloud SDK. It is
// safe for concurrent use. It never retries by itself: every error it returns
// is an *APIError whose Class tells the caller whether, and how, to retry.
type Client struct {
	scheme          string // "http" or "https"
	host            string // host[:port]
	accessKeyID     string
	accessKeySecret string
	connectTimeout  time.Duration
	readTimeout     time.Duration
	// transport is shared by every call, for connection reuse. The SDK never
	// changes it: it only adjusts transports of type *http.Transport, and each
	// call hands it a callTransport instead.
	transport *http.Transport
	// tracer makes a span of each call; nil when tracing is off.
	tracer trace.Tracer

	poolMu sync.Mutex
	pools  map[string]*sync.Pool // region -> idle SDK clients (*sdk.Client)
}

// NewClient checks cfg and returns a Client. It makes no network call.
func NewClient(cfg ClientConfig) (*Client, error) {
	// The rule config checks PORTAL_KVSTORE_ENDPOINT with at start.
	scheme, host, err := endpoint.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("rkvstore: %w", err)
	}
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		return nil, errors.New("rkvstore: an access key ID and secret are required (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET)")
	}
	if cfg.ConnectTimeout < 0 || cfg.ReadTimeout < 0 {
		return nil, errors.New("rkvstore: timeouts must not be negative")
	}
	connectTimeout := cmp.Or(cfg.ConnectTimeout, DefaultConnectTimeout)
	dialer := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	var tracer trace.Tracer
	if cfg.TracerProvider != nil {
		tracer = cfg.TracerProvider.Tracer("github.com/kvportal/kvportal/rkvstore")
	}
	return &Client{
		tracer:          tracer,
		scheme:          scheme,
		host:            host,
		accessKeyID:     cfg.AccessKeyID,
		accessKeySecret: cfg.AccessKeySecret,
		connectTimeout:  connectTimeout,
		readTimeout:     cmp.Or(cfg.ReadTimeout, DefaultReadTimeout),
		transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: connectTimeout,
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
		},
		pools: map[string]*sync.Pool{},
	}, nil
}

// do sends one request through an SDK client of its own and fills resp.
// Every error is an *APIError.
//
// The SDK's client is not shared between calls: it writes its own fields
// (its http.Client's timeout and transport) on every call, so one instance
// is not safe for concurrent use. Making one per call costs a regular
// expression compiled for its region and a few maps, so clients are kept
// for reuse by region (sdkClient), each used by one call at a time.
// Connections are reused through c.transport.
func (c *Client) do(ctx context.Context, regionID string, req requests.AcsRequest, resp responses.AcsResponse) (err error) {
	action := req.GetActionName()
	if c.tracer != nil {
		var span trace.Span
		ctx, span = c.startSpan(ctx, action, regionID)
		defer func() { endSpan(span, err) }()
	}
	if err := ctx.Err(); err != nil {
		return &APIError{Class: Retryable, Action: action, Code: CodeNotSent, Message: "not sent: " + err.Error(), Err: err}
	}
	callCtx, cancel := context.WithTimeout(ctx, c.readTimeout)
	defer cancel()

	sc, sdkErr := c.sdkClient(regionID)
	if sdkErr != nil {
		return &APIError{Class: Permanent, Action: action, Code: CodeNotSent, Message: fmt.Sprintf("not sent: region %q: %s", regionID, Redact(sdkErr.Error()))}
	}
	// The call's context goes with the transport, set for this call only.
	sc.SetTransport(callTransport{ctx: callCtx, base: c.transport})

	req.SetScheme(c.scheme)
	req.SetDomain(c.host)
	req.SetConnectTimeout(c.connectTimeout)
	req.SetReadTimeout(c.readTimeout)

	err = doAction(sc, req, resp)
	c.putSDKClient(regionID, sc)
	if err != nil {
		apiErr := classifyCallError(err)
		apiErr.Action = action
		if apiErr.Class == OutcomeUnknown && callCtx.Err() != nil {
			// The call was cut off by its deadline or the caller: say which,
			// whatever the transport made of it.
			timedOut := errors.Is(callCtx.Err(), context.DeadlineExceeded)
			if timedOut && ctx.Err() == nil {
				apiErr.Code, apiErr.Message = CodeTimeout, fmt.Sprintf("no answer within %s; the request may have been acted on", c.readTimeout)
			} else if timedOut {
				apiErr.Code, apiErr.Message = CodeTimeout, "no answer before the caller's deadline; the request may have been acted on"
			} else {
				apiErr.Code, apiErr.Message = CodeCanceled, "the caller cancelled the call before an answer came; the request may have been acted on"
			}
		}
		return apiErr
	}
	return nil
}

// maxPooledRegions bounds the regions whose SDK clients are kept: a
// portal calls a handful, and a region named by mistake must not grow the
// map without end.
const maxPooledRegions = 64

// sdkClient returns an SDK client for regionID that no other call is
// using: one kept from an earlier call, or a new one. Between calls a kept
// client holds nothing of the call before: the SDK writes only its
// http.Client's timeout (the same for every call, from the request) and
// transport (set anew by each call and cleared by putSDKClient); requests
// carry everything else.
func (c *Client) sdkClient(regionID string) (*sdk.Client, error) {
	c.poolMu.Lock()
	p := c.pools[regionID]
	c.poolMu.Unlock()
	if p != nil {
		if sc, ok := p.Get().(*sdk.Client); ok {
			return sc, nil
		}
	}
	config := sdk.NewConfig().WithAutoRetry(false).WithMaxRetryTime(0)
	config.Scheme = strings.ToUpper(c.scheme)
	credential := &credentials.AccessKeyCredential{AccessKeyId: c.accessKeyID, AccessKeySecret: c.accessKeySecret}
	// Not r_kvstore.NewClientWithOptions: it fills the package's endpoint map
	// lazily, a data race between concurrent calls, and the endpoint is set
	// on every request anyway. Nor an r_kvstore.Client, which is this same
	// client with a method for each of the product's calls: kept in a pool
	// (an interface value), it would make the linker keep all of those
	// methods and their request and response types, some package in the
	// program looking methods up by name: 8 MB more program, much of it
	// resident. Calls go through DoAction with the requests' own types.
	sc := &sdk.Client{}
	if err := sc.InitWithOptions(regionID, config, credential); err != nil {
		return nil, err
	}
	sc.AppendUserAgent("KVPortal", "1")
	return sc, nil
}

// putSDKClient keeps sc, whose call has returned, for the next call to
// regionID.
func (c *Client) putSDKClient(regionID string, sc *sdk.Client) {
	// The transport holds the finished call's context: not kept.
	sc.SetTransport(nil)
	c.poolMu.Lock()
	p := c.pools[regionID]
	if p == nil && len(c.pools) < maxPooledRegions {
		p = &sync.Pool{}
		c.pools[regionID] = p
	}
	c.poolMu.Unlock()
	if p != nil {
		p.Put(sc)
	}
}

// doAction is sc.DoAction(req, resp) on a goroutine of its own. The SDK
// signs every request with a nonce made, among others, from the calling
// goroutine's id, which it reads from a stack trace of that goroutine: the
// deeper the caller's stack (a web request's middleware and handlers), the
// longer the trace, a sizeable share of a submission's CPU. A goroutine of
// its own has a short one. A panic in the SDK is the caller's again.
func doAction(sc *sdk.Client, req requests.AcsRequest, resp responses.AcsResponse) error {
	type result struct {
		err      error
		panicked any
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panicked: p}
			}
		}()
		done <- result{err: sc.DoAction(req, resp)}
	}()
	r := <-done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// classifyCallError classifies an error from the SDK's DoAction. Errors that
// are neither the SDK's nor the network's were raised before anything was
// sent (a proxy setting that does not parse, say): permanent.
func classifyCallError(err error) *APIError {
	_, isURL := errors.AsType[*url.Error](err)
	_, isNet := errors.AsType[net.Error](err)
	_, isServer := errors.AsType[*sdkerrors.ServerError](err)
	_, isClient := errors.AsType[*sdkerrors.ClientError](err)
	if !isURL && !isNet && !isServer && !isClient {
		return &APIError{Class: Permanent, Code: CodeNotSent, Message: "not sent: " + Redact(err.Error())}
	}
	return Classify(err)
}

// callTransport sends a call's HTTP requests on the shared transport, bound to
// the call's context as well as to the SDK's own timeout, so that a caller's
// cancellation or deadline really stops the request.
type callTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Ends when the call's context ends (keeping its error, so a deadline
	// reads as one) or when the request's own does (the SDK's http.Client
	// timeout). The call's context always ends when the call returns, after
	// the body has been read, which releases both.
	ctx, cancel := context.WithCancel(t.ctx)
	context.AfterFunc(req.Context(), cancel)
	return t.base.RoundTrip(req.WithContext(ctx))
}
