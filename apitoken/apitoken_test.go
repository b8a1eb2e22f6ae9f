package apitoken

import (
	"testing"
	"time"

	"github.com/kvportal/kvportal/store"
)

func TestParseDays(t *testing.T) {
	for _, c := range []struct {
		text string
		ttl  time.Duration
		ok   bool
	}{
		{"", DefaultTTL, true},
		{"  ", DefaultTTL, true},
		{"1", day, true},
		{" 30 ", 30 * day, true},
		{"365", MaxTTL, true},
		{"366", 0, false},
		{"0", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"abc", 0, false},
		{"9223372036854775807", 0, false},
		{"99999999999999999999999", 0, false},
		{"-99999999999999999999999", 0, false},
	} {
		ttl, problem := ParseDays(c.text)
		if (problem == "") != c.ok || ttl != c.ttl {
			t.Errorf("ParseDays(%q) = %v, %q; want %v, ok %v", c.text, ttl, problem, c.ttl, c.ok)
		}
	}
	if DefaultDays != 90 || MaxDays != 365 {
		t.Errorf("days: default %d, max %d", DefaultDays, MaxDays)
	}
}

func TestState(t *testing.T) {
	now := time.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	for _, c := range []struct {
		t    store.APIToken
		want string
	}{
		{store.APIToken{ExpiresAt: future}, StateActive},
		{store.APIToken{ExpiresAt: now}, StateExpired},
		{store.APIToken{ExpiresAt: past}, StateExpired},
		{store.APIToken{ExpiresAt: future, RevokedAt: &past}, StateRevoked},
		{store.APIToken{ExpiresAt: past, RevokedAt: &past}, StateRevoked},
	} {
		if got := State(c.t, now); got != c.want {
			t.Errorf("State(%+v) = %q, want %q", c.t, got, c.want)
		}
	}
}
