package preflight

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
)

type answer struct{ err error }

func (a answer) CheckCreate(context.Context, domain.Params, ...domain.Tag) error { return a.err }

func TestCheck(t *testing.T) {
	t.Parallel()
	refused := func(code, msg string) error {
		return &rkvstore.APIError{Class: rkvstore.Permanent, Code: code, Message: msg}
	}
	cases := []struct {
		name    string
		err     error
		outcome string
		field   string
	}{
		{"accepted", nil, domain.PreflightPassed, ""},
		{"unknown region", refused("InvalidRegionId.NotFound", "The specified region does not exist."), "", "RegionId"},
		{"unknown zone", refused("InvalidZoneId.NotFound", "The specified zone does not exist."), "", "ZoneId"},
		{"unknown class", refused("InvalidInstanceClass.NotFound", "The specified class does not exist."), "", "InstanceClass"},
		{"no stock", refused("ResourceNotAvailable", "Resource you requested is not available in this region or zone."), "", "ZoneId"},
		{"quota", refused("QuotaExceed.Instance", "Living instance quota exceeded."), "", ""},
		{"named parameter", refused("InvalidParameter", `The specified parameter "PrivateIpAddress" is not valid.`), "", "PrivateIp"},
		{"unnamed", refused("OperationDenied", "The operation is not permitted."), "", ""},
		{"portal's key", refused("InvalidAccessKeyId.NotFound", "Specified access key is not found."), domain.PreflightSkipped, ""},
		{"throttled", &rkvstore.APIError{Class: rkvstore.Retryable, Code: "Throttling.User"}, domain.PreflightSkipped, ""},
		{"no answer", &rkvstore.APIError{Class: rkvstore.OutcomeUnknown, Code: rkvstore.CodeTimeout}, domain.PreflightSkipped, ""},
		{"not the API's", errors.New("connection refused"), domain.PreflightSkipped, ""},
	}
	for _, tc := range cases {
		res := Check(context.Background(), answer{tc.err}, domain.Params{}, domain.TeamTag(domain.Request{}))
		if res.Outcome != tc.outcome || res.Field != tc.field {
			t.Errorf("%s: outcome %q field %q, want %q %q", tc.name, res.Outcome, res.Field, tc.outcome, tc.field)
		}
		if res.Refused() && (!strings.Contains(res.Message, res.Code) || res.Code == "") {
			t.Errorf("%s: message %q does not quote the code", tc.name, res.Message)
		}
	}
	if res := Check(context.Background(), nil, domain.Params{}, domain.Tag{}); res.Outcome != domain.PreflightSkipped {
		t.Errorf("no cloud: %q", res.Outcome)
	}
}
