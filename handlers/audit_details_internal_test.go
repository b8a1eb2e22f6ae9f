package handlers

import (
	"bytes"
	"slices"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/store"
)

// mentionsSecret scans ASCII in place; it must answer as lowering the text
// and searching for each word does.
func TestMentionsSecretAsLoweredSearch(t *testing.T) {
	reference := func(raw []byte) bool {
		lower := bytes.ToLower(raw)
		return slices.ContainsFunc(secretWords, func(w string) bool { return bytes.Contains(lower, []byte(w)) })
	}
	for _, s := range []string{
		"", "{}", `{"InstanceClass": "` + testfix.InstanceClass + `", "Token": "kvp-1"}`,
		`{"password": "x"}`, `{"PassWord": 1}`, `{"x": "my SECRET"}`, `{"Access_Key": 1}`, `{"accessKEY": 1}`,
		`{"PRIVATEKEY": 1}`, `{"private_key": 1}`, `{"credentials": []}`, `{"passwd": 1}`,
		"passwor", "secre", "xpassword", "password", "p", "P", "pa", "aaaccesskey",
		`{"name": "café"}`, `{"name": "café password"}`, `{"ſecret": 1}`, `{"name": "Ⓟassword"}`,
	} {
		if got, want := mentionsSecret([]byte(s)), reference([]byte(s)); got != want {
			t.Errorf("mentionsSecret(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzMentionsSecret(f *testing.F) {
	f.Add([]byte(`{"Password": "x"}`))
	f.Add([]byte(`{"zone": "cn-hangzhou-b"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		lower := bytes.ToLower(raw)
		want := slices.ContainsFunc(secretWords, func(w string) bool { return bytes.Contains(lower, []byte(w)) })
		if got := mentionsSecret(raw); got != want {
			t.Errorf("mentionsSecret(%q) = %v, want %v", raw, got, want)
		}
	})
}

// An event's details list the request's parameters in the order of the
// form, under their API names, then the rest by name in words; a secret is
// never shown.
func TestDetailWordsFollowTheTable(t *testing.T) {
	d := domain.Details{"zeta": "z", "RegionId": "cn-hangzhou", "InstanceType": "Redis", "alpha": 1,
		"Token": "kvp-1", "InstanceClass": testfix.InstanceClass, "password": "hunter2", "empty": ""}
	got := detailWords(d, nil)
	want := []string{"RegionId: cn-hangzhou", "InstanceType: Redis", "InstanceClass: " + testfix.InstanceClass,
		"Token: kvp-1", "Alpha: 1", "Password: [redacted]", "Zeta: z"}
	if !slices.Equal(got, want) {
		t.Errorf("detailWords:\n got %q\nwant %q", got, want)
	}
	if got := detailKeys(d, map[domain.DetailKey]bool{"RegionId": true, "zeta": true}); slices.Contains(got, "RegionId") || slices.Contains(got, "zeta") {
		t.Errorf("detailKeys lists a key already shown: %q", got)
	}
}

// The provisioner's details are said in words: no raw key such as
// max_attempts, and the cloud's request id under either spelling.
func TestDetailWordsSayKeysInWords(t *testing.T) {
	for _, c := range []struct {
		d    domain.Details
		want []string
	}{
		{domain.Details{"attempt": 2, "max_attempts": 8}, []string{"Attempt 2 of 8"}},
		{domain.Details{"attempt": 1, "InstanceId": "r-1", "InstanceName": "n", "RequestId": "A-1"},
			[]string{"Attempt 1", "InstanceId: r-1", "InstanceName: n", "Cloud request id: A-1"}},
		{domain.Details{"code": "Throttling", "message": "slow down", "class": "retryable", "request_id": "B-2",
			"next_attempt_at": "2026-12-01T18:20:05.123456Z"},
			[]string{"Error code: Throttling", "Message: slow down", "Kind of error: retryable",
				"Next attempt: 2026-12-01 18:20:05 UTC", "Cloud request id: B-2"}},
		{domain.Details{"max_attempts": 3, "someNewKey": "x", "team_name": "y"},
			[]string{"Max attempts: 3", "Some new key: x", "Team name: y"}},
	} {
		if got := detailWords(c.d, nil); !slices.Equal(got, c.want) {
			t.Errorf("detailWords(%v):\n got %q\nwant %q", c.d, got, c.want)
		}
	}
}

// Every action of the audit trail is said in words: none shows its raw
// name as the sentence.
func TestEveryActionInWords(t *testing.T) {
	for _, a := range domain.Actions() {
		ev := eventView(store.Event{Action: a, Details: domain.Details{"team": "payments", "username": "dev"}})
		if ev.Text == "" || ev.Text == a {
			t.Errorf("%s is said as %q", a, ev.Text)
		}
	}
}

// A step taken at the console is credited to the account that ran the
// command, not to KVPortal itself.
func TestConsoleOperatorIsTheActor(t *testing.T) {
	ev := eventView(store.Event{Action: domain.ActionTokenCreated,
		Details: domain.Details{domain.KeyAPIToken: "deploy", domain.KeyUser: "dev", domain.KeyOperator: "ops"}})
	if ev.Actor != "ops (console)" {
		t.Errorf("actor %q", ev.Actor)
	}
	if got := eventView(store.Event{Action: domain.ActionAttemptStarted}).Actor; got != portalName {
		t.Errorf("the provisioner's event: actor %q", got)
	}
}
