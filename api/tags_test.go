package api

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/workflow"
)

// Struct tags cannot name constants: the list's filters and the reject
// reason's description are checked against the rules they repeat, so that a
// new state, a longer team name or a longer reason shows up here rather than
// as a refused query or a wrong document.
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
	reason, _ := reflect.TypeFor[rejectInput]().FieldByName("Body")
	text, _ := reason.Type.FieldByName("Reason")
	if doc, limit := text.Tag.Get("doc"), "at most "+strconv.Itoa(workflow.ReasonMaxLen)+" characters"; !strings.Contains(doc, limit) {
		t.Errorf("reject reason doc %q does not say %q", doc, limit)
	}
}
