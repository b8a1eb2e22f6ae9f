package api

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// Struct tags cannot name constants: the list's filters are checked against
// the rules they repeat, so that a new state or a longer team name shows up
// here rather than as a refused query.
func TestListFiltersFollowTheDomain(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[listInput]()
	status, _ := typ.FieldByName("Status")
	var states []string
	for _, s := range domain.Statuses() {
		states = append(states, string(s))
	}
	if got := status.Tag.Get("enum"); got != strings.Join(states, ",") {
		t.Errorf("status enum %q, the states are %q", got, strings.Join(states, ","))
	}
	team, _ := typ.FieldByName("Team")
	if got := team.Tag.Get("maxLength"); got != strconv.Itoa(domain.TeamNameMaxLen) {
		t.Errorf("team maxLength %s, a team name is at most %d", got, domain.TeamNameMaxLen)
	}
}
