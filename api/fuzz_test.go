package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
)

// FuzzSubmit sends arbitrary bodies to POST /api/v1/requests: never a 5xx,
// and whatever is accepted is a request the rules accept. The seeds run
// with every go test; go test -fuzz=FuzzSubmit ./api explores further.
func FuzzSubmit(f *testing.F) {
	for _, seed := range []string{
		`{"InstanceName":"orders-cache","InstanceClass":"` + testfix.InstanceClass + `","RegionId":"cn-hangzhou","ZoneId":"cn-hangzhou-b","ChargeType":"PostPaid","NetworkType":"Classic","InstanceType":"Redis","EngineVersion":"4.0"}`,
		`{"InstanceClass":"` + testfix.InstanceClass + `","RegionId":"cn-hangzhou","ChargeType":"PrePaid","Period":3}`,
		`{"InstanceClass":"` + testfix.InstanceClass + `","RegionId":"cn-hangzhou","ChargeType":"PrePaid","Period":"1e3"}`,
		`{"InstanceClass":"` + testfix.InstanceClass + `","RegionId":"cn-hangzhou","Period":-1.5}`,
		`{"InstanceClass":"` + testfix.InstanceClass + `","RegionId":"cn-hangzhou","NetworkType":"VPC","VpcId":"vpc-1","VSwitchId":"vsw-1","PrivateIp":"10.0.0.1"}`,
		`{"InstanceClass":"x","RegionId":"cn-hangzhou","Password":"Sh0rt"}`,
		`{"InstanceName":null,"InstanceClass":{"a":1},"RegionId":["cn-hangzhou"]}`,
		`{"Token":"` + "\u0000" + `","InstanceClass":"` + testfix.InstanceClass + `","RegionId":"cn-hangzhou"}`,
		`{"InstanceClass":"` + testfix.InstanceClass + `","RegionId":"cn-hangzhou","InstanceClass":"dup"}`,
		`{"unknown":1}`, `{}`, `[]`, `null`, `"text"`, `{"a":`, "\xff\xfe", ``,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		res := e.as("rita", http.MethodPost, "/api/v1/requests", body)
		if res.status >= 500 {
			t.Fatalf("%d for %q: %s", res.status, body, res.raw)
		}
		if res.status != http.StatusCreated {
			return
		}
		id, _ := res.body["id"].(float64)
		r, err := e.st.Request(context.Background(), int64(id))
		if err != nil {
			t.Fatal(err)
		}
		p, errs := domain.Validate(r.Params.Input(), testfix.Catalog())
		if len(errs) > 0 || p != r.Params {
			t.Fatalf("accepted %q, which the rules refuse: %v (%+v)", body, errs, r.Params)
		}
	})
}
