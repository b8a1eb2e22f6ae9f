package handlers

import (
	"github.com/kvportal/kvportal/domain"

	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/store"
)

// csvLine is cells as encoding/csv writes them, without the line's end.
func csvLine(t *testing.T, cells ...string) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(cells); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

func TestCSVCellNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "dev": "dev", "=1+1": "'=1+1", "+cn": "'+cn", "-cmd|calc": "'-cmd|calc", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "{\"a\":\"=b\"}": "{\"a\":\"=b\"}", "'quoted": "'quoted",
	} {
		if got := string(appendCSVCell(nil, 0, in)); got != csvLine(t, want) {
			t.Errorf("cell %q written %q, want %q", in, got, csvLine(t, want))
		}
	}
}

// The export writes its cells itself (no []string per row): every cell
// must come out exactly as encoding/csv writes the cell once neutralised.
func FuzzCSVCellAsEncodingCSV(f *testing.F) {
	for _, s := range []string{"", "a", `\.`, `\.x`, " lead", "\u00a0nbsp", "\u2028sep", "a,b", `say "hi"`, "line\nbreak",
		"cr\rhere", "=1", "=a,b", "-\"q\"", "\t", "\r\n", "@", "\xff\xfe", "é", "\v", "\x85"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := s
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			want = "'" + s
		}
		line := csvLine(t, "x", want)
		if got := string(appendCSVCell(appendCSVCell(nil, 0, "x"), 1, []byte(s))); got != line {
			t.Errorf("cell %q written %q, want %q", s, got, line)
		}
	})
}

func TestExportRowAsEncodingCSV(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 23, 9, 1, 500, time.FixedZone("x", 3600))
	cases := []struct {
		row  store.EventRow
		want []string
	}{
		{store.EventRow{ID: 7, At: at, HasActor: true, ActorName: []byte("dev"), Action: []byte("request.submitted"),
			RequestID: 3, HasRequest: true, InstanceID: []byte("r-1"), RegionID: []byte("cn-hangzhou"),
			DetailsJSON: []byte(`{"a": "b,c"}`), Team: []byte("payments"), Kind: []byte("set_whitelist")},
			[]string{"7", "2026-12-01T22:09:01Z", "dev", "request.submitted", "3", "r-1", "cn-hangzhou", `{"a": "b,c"}`, "payments", "set_whitelist"}},
		{store.EventRow{ID: 8, At: at, Action: []byte("provisioning.succeeded")},
			[]string{"8", "2026-12-01T22:09:01Z", "system", "provisioning.succeeded", "", "", "", "{}", "", ""}},
		{store.EventRow{ID: 9, At: at, Action: []byte("auth.login_failed"), DetailsJSON: []byte(`{"password": "x"}`)},
			[]string{"9", "2026-12-01T22:09:01Z", "visitor", "auth.login_failed", "", "", "", `{"password":"[redacted]"}`, "", ""}},
	}
	for _, tc := range cases {
		if got, want := string(appendExportRow(nil, &tc.row)), csvLine(t, tc.want...)+"\n"; got != want {
			t.Errorf("row %d: %q, want %q", tc.row.ID, got, want)
		}
	}
}

// An event whose details name no secret costs the export no allocation,
// so its memory stays flat over a trail of millions.
func TestExportRowAllocatesNothing(t *testing.T) {
	r := store.EventRow{ID: 1234567, At: time.Now(), HasActor: true, ActorName: []byte("dev"),
		Action: []byte("request.submitted"), RequestID: 99, HasRequest: true, InstanceID: []byte("r-abc"),
		RegionID: []byte("cn-hangzhou"), DetailsJSON: []byte(`{"attempt": 2, "note": "=x, \"y\""}`), Team: []byte("t")}
	system := store.EventRow{ID: 1, At: time.Now(), Action: []byte("provisioning.attempt_started")}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(200, func() {
		buf = appendExportRow(buf[:0], &r)
		buf = appendExportRow(buf[:0], &system)
	}); n != 0 {
		t.Errorf("%v allocations per row", n)
	}
}

func TestSafeDetailsRedactsSecrets(t *testing.T) {
	t.Parallel()
	d := safeDetails(domain.Details{"Password": "x", "new_password": "y", "AccessKeySecret": "z", "client_secret": "w",
		"username": "dev", "Token": "kvp-1"})
	for k, want := range map[domain.DetailKey]any{"Password": redacted, "new_password": redacted, "AccessKeySecret": redacted,
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
		if got := string(exportDetails([]byte(tc.raw))); got != tc.want {
			t.Errorf("exportDetails(%s) = %s, want %s", tc.raw, got, tc.want)
		}
	}
}
