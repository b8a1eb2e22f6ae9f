package handlers

import (
	"bytes"
	"slices"
	"testing"
)

// mentionsSecret scans ASCII in place; it must answer as lowering the text
// and searching for each word does.
func TestMentionsSecretAsLoweredSearch(t *testing.T) {
	reference := func(raw []byte) bool {
		lower := bytes.ToLower(raw)
		return slices.ContainsFunc(secretWords, func(w string) bool { return bytes.Contains(lower, []byte(w)) })
	}
	for _, s := range []string{
		"", "{}", `{"InstanceClass": "redis.master.small.default", "Token": "kvp-1"}`,
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
// form, then the rest by name; a secret is never shown.
func TestDetailLinesFollowTheTable(t *testing.T) {
	d := map[string]any{"zeta": "z", "RegionId": "cn-hangzhou", "InstanceType": "Redis", "alpha": 1,
		"Token": "kvp-1", "InstanceClass": "redis.master.small.default", "password": "hunter2", "empty": ""}
	got := detailLines(d)
	want := []string{"InstanceType: Redis", "InstanceClass: redis.master.small.default", "RegionId: cn-hangzhou",
		"Token: kvp-1", "alpha: 1", "password: [redacted]", "zeta: z"}
	if !slices.Equal(got, want) {
		t.Errorf("detailLines:\n got %q\nwant %q", got, want)
	}
	if got := detailKeys(d, map[string]bool{"RegionId": true, "zeta": true}); slices.Contains(got, "RegionId") || slices.Contains(got, "zeta") {
		t.Errorf("detailKeys lists a key already shown: %q", got)
	}
}
