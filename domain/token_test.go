package domain

import (
	"regexp"
	"testing"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	format := regexp.MustCompile(`^req-[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 1000 {
		tok := NewToken()
		if !format.MatchString(tok) {
			t.Fatalf("NewToken() = %q, want req- and 32 hex digits", tok)
		}
		if seen[tok] {
			t.Fatalf("NewToken() repeated %q", tok)
		}
		seen[tok] = true
	}
}
