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
