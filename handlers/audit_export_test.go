package handlers

import "testing"

func TestCSVCellNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "dev": "dev", "=1+1": "'=1+1", "+cn": "'+cn", "-cmd|calc": "'-cmd|calc", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "{\"a\":\"=b\"}": "{\"a\":\"=b\"}", "'quoted": "'quoted",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeDetailsRedactsSecrets(t *testing.T) {
	t.Parallel()
	d := safeDetails(map[string]any{"Password": "x", "new_password": "y", "AccessKeySecret": "z", "client_secret": "w",
		"username": "dev", "Token": "kvp-1"})
	for k, want := range map[string]any{"Password": redacted, "new_password": redacted, "AccessKeySecret": redacted,
		"client_secret": redacted, "username": "dev", "Token": "kvp-1"} {
		if d[k] != want {
			t.Errorf("%s: %v, want %v", k, d[k], want)
		}
	}
}

func TestExportDetails(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, want string }{
		{``, `{}`},
		{`{"code": "InvalidParameter", "attempt": 2}`, `{"code": "InvalidParameter", "attempt": 2}`}, // as stored
		{`{"Password": "Secret123", "RegionId": "cn-hangzhou"}`, `{"Password":"[redacted]","RegionId":"cn-hangzhou"}`},
		{`{"access_key_id": "AK"}`, `{"access_key_id":"[redacted]"}`},
		{`{"message": "the password is wrong"}`, `{"message":"the password is wrong"}`}, // a value only: kept
		{`not json with a secret`, `{}`},
	}
	for _, tc := range cases {
		if got := exportDetails([]byte(tc.raw)); got != tc.want {
			t.Errorf("exportDetails(%s) = %s, want %s", tc.raw, got, tc.want)
		}
	}
}
