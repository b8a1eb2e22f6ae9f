// Package admission is what decides a submission beyond its parameters'
// rules: which of its requester's teams it belongs to, what it is estimated
// to cost a month, whether the team's limits allow it, and what the
// approval policies say of it (approve at once, refuse, or leave it to an
// approver). A Gate is the workflow's Check, Policy and ApprovalCheck, so
// that the form, the JSON API and the command line all pass through it.
//
// The team's limits are checked without a lock before anything is stored
// (so that a refused request costs no dry run at the cloud), then by the
// store in the transaction that stores the request and again in every
// approval's, with the team's row locked.
package admission

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/policy"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// PriceEstimator gives a price estimate; *rkvstore.PriceCache is one. ok is
// false when the cloud gave none.
type PriceEstimator interface {
	Estimate(ctx context.Context, p domain.Params) (price rkvstore.Price, ok bool)
}

// Gate admits submissions. Store is required; without Prices no request
// has a price estimate (spend limits then count nothing, and no rule about
// price holds).
type Gate struct {
	Store  *store.Store
	Prices PriceEstimator
	Logger *slog.Logger

	mu      sync.Mutex
	version int64
	parsed  *policy.Policies
}

var (
	_ workflow.Check         = (*Gate)(nil)
	_ workflow.Policy        = (*Gate)(nil)
	_ workflow.ApprovalCheck = (*Gate)(nil)
)

// Wire makes g the workflow's team check (before any check already there),
// its policy and an approval check.
func (g *Gate) Wire(w *workflow.Workflow) {
	w.Checks = append([]workflow.Check{g}, w.Checks...)
	w.Policy = g
	w.Changes = g
	w.ApprovalChecks = append(w.ApprovalChecks, g)
}

// priceTimeout bounds the wait for an estimate at submission: the cache
// usually answers at once; a cloud that doesn't answer in time leaves the
// request without an estimate.
const priceTimeout = 5 * time.Second

// CheckSubmission settles the submission's team (as given; "" picks the
// requester's only team) and its monthly price estimate, and checks the
// team's limits with the request counted. A team that is not the
// requester's, or a limit the request would break, is refused beside the
// Team field.
func (g *Gate) CheckSubmission(ctx context.Context, s *workflow.Submission) (domain.FieldErrors, error) {
	// The requester's name and the policies' version too, for Decide: one
	// round trip for the three.
	sub, err := g.Store.SubmitterByID(ctx, s.Actor.ID)
	if err != nil {
		return nil, err
	}
	s.Requester, s.PoliciesVersion = sub.Username, sub.PoliciesVersion
	t, problem := pickTeam(sub.Teams, s.Team)
	if problem != "" {
		return domain.FieldErrors{domain.TeamField: problem}, nil
	}
	// Every request gets its estimate, team or not: the policies' rules
	// about price need it.
	s.MonthlyPrice = g.estimate(ctx, s.Params)
	s.Team, s.TeamID = "", nil
	if t == nil {
		return nil, nil
	}
	s.Team, s.TeamID, s.MaxLeaseDays = t.Name, &t.ID, t.MaxLeaseDays
	if t.MaxInstances == nil && t.MaxMonthlySpend == nil {
		return nil, nil
	}
	u, err := g.Store.TeamUsage(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var budget *domain.BudgetError
	if err := t.Admit(u.Plus(s.MonthlyPrice)); errors.As(err, &budget) {
		return domain.FieldErrors{domain.TeamField: budget.Problem()}, nil
	}
	return nil, nil
}

// CheckChange settles a change's requester and policies' version for
// Decide and, for a new class, the monthly estimate at that class: the
// team's spend with it is checked by the store when the change is stored
// and again at its approval, as a creation's is. A change belongs to its
// instance's team whoever asks, so no team is picked.
func (g *Gate) CheckChange(ctx context.Context, s *workflow.Submission) (domain.FieldErrors, error) {
	sub, err := g.Store.SubmitterByID(ctx, s.Actor.ID)
	if err != nil {
		return nil, err
	}
	s.Requester, s.PoliciesVersion = sub.Username, sub.PoliciesVersion
	if s.Kind == domain.KindModifySpec {
		p := s.Params
		p.InstanceClass = s.Change.InstanceClass
		s.MonthlyPrice = g.estimate(ctx, p)
	}
	return nil, nil
}

// Decide applies the policies in force to a submission that passed every
// check: the first rule that matches decides. A deny is refused under the
// key "" (it is about the request as a whole).
func (g *Gate) Decide(ctx context.Context, s workflow.Submission) (workflow.Decision, error) {
	requester, version := s.Requester, s.PoliciesVersion
	if requester == "" {
		// Not read by CheckSubmission (a gate used as the policy alone).
		sub, err := g.Store.SubmitterByID(ctx, s.Actor.ID)
		if err != nil {
			return workflow.Decision{}, err
		}
		requester, version = sub.Username, sub.PoliciesVersion
	}
	if version == 0 {
		return workflow.Decision{}, nil
	}
	ps, err := g.policies(ctx, version)
	if err != nil {
		return workflow.Decision{}, err
	}
	d := ps.Decide(policy.Request{Kind: s.Kind, Change: s.Change, Params: s.Params, Team: s.Team,
		Requester: requester, MonthlyPrice: s.MonthlyPrice, LeaseDays: s.LeaseDays})
	if d.Err != nil {
		// Neither an approval nor a refusal can rest on a condition that
		// failed: a person decides.
		g.logger().WarnContext(ctx, "policy condition failed: the request waits for an approver", "version", version, "err", d.Err)
		return workflow.Decision{}, nil
	}
	if !d.Matched() {
		return workflow.Decision{}, nil
	}
	out := workflow.Decision{Rule: d.Rule, Version: version}
	switch d.Then {
	case policy.Deny:
		out.Outcome = workflow.Deny
		out.Errors = domain.FieldErrors{"": fmt.Sprintf("Refused by the rule “%s”: %s", d.Rule, d.Message)}
	case policy.Approve:
		out.Outcome = workflow.Approve
	}
	return out, nil
}

// CheckApproval re-checks the team's limits in an approval's transaction,
// with the team's row locked: of two approvals racing for a team's last
// slot, one wins and the other is refused (*domain.BudgetError).
func (g *Gate) CheckApproval(ctx context.Context, tx pgx.Tx, r domain.Request) error {
	return store.CheckTeamLimits(ctx, tx, r)
}

// pickTeam finds the team named name among teams; "" is the only team when
// there is one. problem completes a sentence starting with "Team".
func pickTeam(teams []domain.Team, name string) (*domain.Team, string) {
	names := make([]string, len(teams))
	for i, t := range teams {
		names[i] = t.Name
	}
	switch {
	case len(teams) == 0 && name == "":
		return nil, ""
	case len(teams) == 0:
		return nil, fmt.Sprintf("%q is not one of your teams: you are in none, so leave it empty", name)
	case name == "" && len(teams) == 1:
		return &teams[0], ""
	case name == "":
		return nil, "is required: choose one of your teams (" + strings.Join(names, ", ") + ")"
	}
	i := slices.Index(names, name)
	if i < 0 {
		return nil, fmt.Sprintf("%q is not one of your teams: choose one of %s", name, strings.Join(names, ", "))
	}
	return &teams[i], ""
}

// estimate is p's monthly price, nil when unknown.
func (g *Gate) estimate(ctx context.Context, p domain.Params) *float64 {
	if g.Prices == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, priceTimeout)
	defer cancel()
	price, ok := g.Prices.Estimate(ctx, p)
	if !ok {
		return nil
	}
	m := domain.MonthlyPrice(p, price.TradeAmount)
	return &m
}

// policies is version id of the policies, parsed once per version.
func (g *Gate) policies(ctx context.Context, id int64) (*policy.Policies, error) {
	g.mu.Lock()
	if g.version == id {
		ps := g.parsed
		g.mu.Unlock()
		return ps, nil
	}
	g.mu.Unlock()
	v, err := g.Store.PolicyVersionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	ps, err := policy.Parse([]byte(v.Document))
	if err != nil {
		// A saved version was checked when saved; one this build reads
		// differently must not approve or refuse anything.
		g.logger().ErrorContext(ctx, "saved policies no longer parse: every request waits for an approver", "version", id, "err", err)
		ps = &policy.Policies{}
	}
	g.mu.Lock()
	g.version, g.parsed = id, ps
	g.mu.Unlock()
	return ps, nil
}

func (g *Gate) logger() *slog.Logger {
	if g.Logger != nil {
		return g.Logger
	}
	return slog.Default()
}
