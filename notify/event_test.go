package notify_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/notify"
)

// everyField is an event with each of its own fields set.
func everyField() notify.Event {
	return notify.Event{EventID: 7, Topic: notify.TopicFinished, Action: domain.ActionFailed,
		At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Actor: "approver", RequestID: 3, RequestKind: "create", Status: "failed",
		Requester: "dev", InstanceId: "r-1", Reason: "no", ErrorCode: "Code", ErrorMessage: "Message", Link: "/requests/3"}
}

func keys(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return slices.Sorted(maps.Keys(m))
}

// A receiver reads the parameters at the top level under their API names,
// beside the event's own fields, as it always did; the password and the
// token are never among them.
func TestEventBody(t *testing.T) {
	ev := everyField()
	ev.Params = domain.Params{InstanceType: "Redis", InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou",
		ZoneId: "cn-hangzhou-h", InstanceName: "orders-cache", ChargeType: domain.ChargePrePaid, Period: 12,
		Password: "Sup3rSecret", Token: "tok-1"}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ChargeType", "InstanceClass", "InstanceId", "InstanceName", "InstanceType", "Kind", "Period", "RegionId", "ZoneId",
		"action", "actor", "at", "error_code", "error_message", "event_id", "link", "reason", "request_id", "requester", "status", "topic"}
	if got := keys(t, body); !slices.Equal(got, want) {
		t.Errorf("keys:\n got %v\nwant %v", got, want)
	}
	var back notify.Event
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	ev.Params.Password, ev.Params.Token = "", ""
	if back != ev {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, ev)
	}

	// A pending request's event: no InstanceId, reason or error yet, and
	// the required parameters always there.
	pending := notify.Event{EventID: 1, Topic: notify.TopicNeedsApproval, Action: domain.ActionRequestSubmitted,
		RequestID: 1, RequestKind: "create", Status: "pending_approval", Requester: "dev", Link: "/requests/1",
		Params: domain.Params{InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou"}}
	body, err = json.Marshal(pending)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"InstanceClass", "Kind", "RegionId", "action", "at", "event_id", "link", "request_id", "requester", "status", "topic"}
	if got := keys(t, body); !slices.Equal(got, want) {
		t.Errorf("pending keys:\n got %v\nwant %v", got, want)
	}
}

// The parameters share the body's top level with the event's own fields:
// no parameter may take a field's name.
func TestEventKeysAreDistinct(t *testing.T) {
	body, err := json.Marshal(everyField())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys(t, body) {
		if _, ok := domain.ParamByName(k); ok {
			t.Errorf("the event's field %q is also a parameter's name", k)
		}
	}
}

// A body that is not an object, or a parameter of the wrong type, is an
// error, not a partly read event.
func TestEventUnmarshalRefusesBadBodies(t *testing.T) {
	for _, body := range []string{`[]`, `{"Period": "twelve"}`, `{"RegionId": 3}`} {
		var ev notify.Event
		if err := json.Unmarshal([]byte(body), &ev); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
}
