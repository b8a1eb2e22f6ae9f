package domain

import (
	"strings"
	"testing"
	"time"
)

func TestParseReleaseAfter(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	seven := 7
	for _, c := range []struct {
		in      string
		maxDays *int
		want    string // RFC 3339, or "" for none
		problem string // a word of the problem, "" for none
	}{
		{"", nil, "", ""},
		{"", &seven, "", "required"},
		{"2026-12-10", nil, "2026-12-11T00:00:00Z", ""},
		{"2026-12-05T12:30:00+02:00", nil, "", "too soon"},
		{"2026-12-05T13:00:00Z", nil, "2026-12-05T13:00:00Z", ""},
		{"2026-12-01", nil, "", "past"},
		{"2026-12-31", &seven, "", "longest lease"},
		{"2026-12-11", &seven, "2026-12-12T00:00:00Z", ""},
		{"tomorrow", nil, "", "date"},
		{"2026-13-01", nil, "", "date"},
		{"2026-12-10\x00", nil, "", "control"},
	} {
		end, problem := ParseReleaseAfter(c.in, LeaseRule{Now: now, Min: time.Hour, MaxDays: c.maxDays})
		got := ""
		if end != nil {
			got = end.Format(time.RFC3339)
		}
		if got != c.want || (c.problem == "") != (problem == "") || !strings.Contains(problem, c.problem) {
			t.Errorf("%q (max %v): %q %q, want %q and a problem with %q", c.in, c.maxDays, got, problem, c.want, c.problem)
		}
	}
	if d := LeaseDays(now.Add(30*time.Hour), now); d != 2 {
		t.Errorf("30 hours are %d lease days, want 2", d)
	}
}
