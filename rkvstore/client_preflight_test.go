package rkvstore_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

// A dry run the cloud would accept is nil, and creates nothing; a refusal
// is the cloud's code and words, as any other call's error.
func TestCheckCreate(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	p := validParams(t, sim, nil)
	if err := client.CheckCreate(t.Context(), p); err != nil {
		t.Fatalf("a valid request: %v", err)
	}
	if len(sim.Instances()) != 0 || sim.Calls("CreateInstance") != 1 {
		t.Fatalf("the dry run made %d instances in %d calls", len(sim.Instances()), sim.Calls("CreateInstance"))
	}
	bad := p
	bad.ZoneId = "cn-hangzhou-x" // past the portal's rules: the cloud's answer is the point
	apiErr := wantAPIError(t, client.CheckCreate(t.Context(), bad), rkvstore.Permanent, "")
	if !strings.HasPrefix(apiErr.Code, "InvalidZoneId") || apiErr.Message == "" || apiErr.RequestId == "" ||
		apiErr.Action != "CreateInstance" || apiErr.HTTPStatus != http.StatusBadRequest {
		t.Errorf("refused: %+v", apiErr)
	}
	if err := sim.SetFaults(simulator.Faults{ThrottleRate: 1}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, client.CheckCreate(t.Context(), p), rkvstore.Retryable, "Throttling.User")
}

// What is not the API's answer (a proxy's page, a cloud that ignored the
// dry run) is classified as for any other call.
func TestCheckCreateOtherAnswers(t *testing.T) {
	t.Parallel()
	sim, _ := setup(t, simulator.Config{})
	p := validParams(t, sim, nil)
	cases := []struct {
		name   string
		status int
		body   string
		class  rkvstore.ErrorClass
		code   string
	}{
		{"a proxy refuses", http.StatusForbidden, "<html>Forbidden</html>", rkvstore.Permanent, "HTTP403"},
		{"a proxy fails", http.StatusBadGateway, "<html>Bad gateway</html>", rkvstore.Retryable, "HTTP502"},
		{"a gateway gives up", http.StatusGatewayTimeout, "", rkvstore.OutcomeUnknown, "HTTP504"},
		{"an error without code", http.StatusBadRequest, `{"RequestId": "r-1", "Message": "no"}`, rkvstore.Permanent, "HTTP400"},
		{"a code the API did not document", http.StatusBadRequest, `{"RequestId": "r-1", "Code": "Odd", "Message": "odd"}`, rkvstore.Permanent, "Odd"},
		{"the dry run ignored", http.StatusOK, `{"RequestId": "r-1", "InstanceId": "r-bp1zxszhcgatnx1234"}`, rkvstore.Permanent, "DryRunIgnored"},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(tc.body, "{") {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		apiErr := wantAPIError(t, newClient(t, srv.URL).CheckCreate(t.Context(), p), tc.class, tc.code)
		srv.Close()
		if apiErr.HTTPStatus != tc.status && tc.code != "DryRunIgnored" {
			t.Errorf("%s: HTTP status %d, want %d", tc.name, apiErr.HTTPStatus, tc.status)
		}
		if tc.code == "DryRunIgnored" && !strings.Contains(apiErr.Message, "r-bp1zxszhcgatnx1234") {
			t.Errorf("%s: %q does not name the instance", tc.name, apiErr.Message)
		}
		if tc.code == "Odd" && (apiErr.Message != "odd" || apiErr.RequestId != "r-1") {
			t.Errorf("%s: %+v", tc.name, apiErr)
		}
	}
}
