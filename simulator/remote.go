package simulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"
)

// Remote changes instances of a running simulator through its API, signed
// with its key pair and sent by the official SDK: what `portal sim delete`,
// `rename` and `resize` do, so that a test or a person can make the cloud
// drift from the portal's records without touching the portal.
type Remote struct {
	// Endpoint is the simulator's http://host:port.
	Endpoint        string
	AccessKeyID     string
	AccessKeySecret string
}

// remoteTimeout bounds one call of a Remote.
const remoteTimeout = 30 * time.Second

// DeleteInstance calls DeleteInstance.
func (r Remote) DeleteInstance(ctx context.Context, instanceID string) error {
	req := r_kvstore.CreateDeleteInstanceRequest()
	req.InstanceId = instanceID
	return r.do(ctx, req, r_kvstore.CreateDeleteInstanceResponse())
}

// RenameInstance calls ModifyInstanceAttribute with a new InstanceName.
func (r Remote) RenameInstance(ctx context.Context, instanceID, name string) error {
	req := r_kvstore.CreateModifyInstanceAttributeRequest()
	req.InstanceId, req.InstanceName = instanceID, name
	return r.do(ctx, req, r_kvstore.CreateModifyInstanceAttributeResponse())
}

// ResizeInstance calls ModifyInstanceSpec with a new InstanceClass.
func (r Remote) ResizeInstance(ctx context.Context, instanceID, instanceClass string) error {
	req := r_kvstore.CreateModifyInstanceSpecRequest()
	req.InstanceId, req.InstanceClass = instanceID, instanceClass
	return r.do(ctx, req, r_kvstore.CreateModifyInstanceSpecResponse())
}

// do sends one call; when the simulator refused it, the error says
// "<Action> refused: <Code>: <Message>".
func (r Remote) do(ctx context.Context, req requests.AcsRequest, resp responses.AcsResponse) error {
	u, err := url.Parse(r.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("simulator: endpoint %q is not http://host:port", r.Endpoint)
	}
	if r.AccessKeyID == "" || r.AccessKeySecret == "" {
		return errors.New("simulator: an access key ID and secret are required")
	}
	ctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	config := sdk.NewConfig().WithAutoRetry(false).WithMaxRetryTime(0)
	config.Scheme = strings.ToUpper(u.Scheme)
	config.Transport = contextTransport{ctx: ctx}
	client := &r_kvstore.Client{}
	// The region only picks an endpoint, which the request overrides.
	if err := client.InitWithOptions("cn-hangzhou", config, credentials.NewAccessKeyCredential(r.AccessKeyID, r.AccessKeySecret)); err != nil {
		return err
	}
	req.SetScheme(u.Scheme)
	req.SetDomain(u.Host)
	req.SetReadTimeout(remoteTimeout)
	err = client.DoAction(req, resp)
	if se, ok := errors.AsType[*sdkerrors.ServerError](err); ok {
		return fmt.Errorf("simulator: %s refused: %s: %s", req.GetActionName(), se.ErrorCode(), se.Message())
	}
	if err != nil {
		return fmt.Errorf("simulator: %s: %w", req.GetActionName(), err)
	}
	return nil
}

// contextTransport sends requests bound to ctx, so that the caller's
// cancellation stops a call.
type contextTransport struct{ ctx context.Context }

func (t contextTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return http.DefaultTransport.RoundTrip(req.WithContext(t.ctx))
}
