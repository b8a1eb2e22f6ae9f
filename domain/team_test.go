package domain_test

import (
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// An instance carries its request's team, or "none" for a request of no
// team; no team may be called "none".
func TestTeamTag(t *testing.T) {
	tags := domain.InstanceTags(domain.Request{ID: 7, Team: "payments"})
	if len(tags) != 2 || tags[0] != (domain.Tag{Key: domain.TagRequest, Value: "7"}) || tags[1] != (domain.Tag{Key: domain.TagTeam, Value: "payments"}) {
		t.Errorf("tags %+v", tags)
	}
	if got := domain.TeamTag(domain.Request{}); got != (domain.Tag{Key: domain.TagTeam, Value: domain.NoTeam}) {
		t.Errorf("no team: %+v", got)
	}
	if domain.ValidTeamName(domain.NoTeam) || !domain.ValidTeamName("payments") {
		t.Error("team names")
	}
}

// A team's limits say which one a request would break and by how much.
func TestTeamAdmit(t *testing.T) {
	ten, spend := 10, 100.0
	team := domain.Team{Name: "payments", MaxInstances: &ten, MaxMonthlySpend: &spend}
	if err := team.Admit(domain.Usage{Instances: 10, MonthlySpend: 100}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	if err := team.Admit(domain.Usage{Instances: 11}); err == nil || err.Error() != "payments would have 11 of its 10 instances" {
		t.Errorf("instances: %v", err)
	}
	if err := team.Admit(domain.Usage{Instances: 1, MonthlySpend: 120.5}); err == nil ||
		err.Error() != "payments would spend 120.50 a month of its 100.00 (20.50 over)" {
		t.Errorf("spend: %v", err)
	}
}
