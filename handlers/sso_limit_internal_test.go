package handlers

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// The README tells operators the single sign-on start limit; it follows the
// constants.
func TestReadmeStatesTheSSOStartLimit(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if ssoStartPerSecond != 1 {
		t.Fatalf("the README says one a second: say %v", ssoStartPerSecond)
	}
	want := "may start " + strconv.Itoa(ssoStartBurst) + " at once and then one a second"
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("README.md does not say %q", want)
	}
}
