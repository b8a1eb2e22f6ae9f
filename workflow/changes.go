package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// ChangeCheck settles what a change's submission carries beside its
// fields, before the Policy reads it: the requester's name and the
// policies' version, and, for a new class, its monthly estimate (the team's
// spend is then checked by the store with the team's row locked). The
// admission Gate is one.
type ChangeCheck interface {
	CheckChange(ctx context.Context, s *Submission) (domain.FieldErrors, error)
}

// ChangeParams are the parameters a change of inst carries: its
// instance's as they are now (its creation's, at its current class and
// zone), so that the approvals queue, the policies and the lists read it
// like any request, and so that the change form prices a new class with
// the same parameters (charge type, period) as the submission's estimate.
func (w *Workflow) ChangeParams(ctx context.Context, inst domain.Instance) (domain.Params, error) {
	creation, err := w.Store.Request(ctx, inst.RequestID)
	if err != nil {
		return domain.Params{}, fmt.Errorf("the instance's creation: %w", err)
	}
	p := domain.ChangeParams(creation.Params, inst.InstanceClass)
	p.ZoneId = cmp.Or(inst.ZoneID, p.ZoneId)
	return p, nil
}

// KindField is the form field and JSON key naming a request's kind.
const KindField = "Kind"

// SubmitChange validates a change of kind of instance instanceID asked for
// by a, and stores it as a request like a creation: pending approval, or
// approved at once by a policy rule that names the kind. Those who may ask:
// the instance's owner, its team's members, approvers and admins (others
// get ErrNotFound, as for a request). A change the instance can't have (a
// release of a subscription, any change of a released instance) is a field
// error under "" (about the request as a whole); an instance that already
// has a change in progress is a *domain.ChangeHeldError naming the request
// that holds it. Nothing is stored or sent to the cloud unless every rule
// holds.
func (w *Workflow) SubmitChange(ctx context.Context, a Actor, instanceID string, in domain.Input) (domain.Request, domain.FieldErrors, error) {
	if !a.Role.AtLeast(domain.RoleRequester) {
		return domain.Request{}, nil, ErrRole
	}
	inst, err := w.Instance(ctx, a, instanceID)
	if err != nil {
		return domain.Request{}, nil, err
	}
	kind := domain.RequestKind(strings.TrimSpace(in[KindField]))
	spec, ok := domain.KindOf(kind)
	if !ok {
		return domain.Request{}, domain.FieldErrors{KindField: KindProblem(kind)}, nil
	}
	if refusal := spec.Refusal(inst); refusal != "" {
		return domain.Request{}, domain.FieldErrors{"": refusal}, nil
	}
	holder, err := w.Store.ChangeInProgress(ctx, inst.InstanceID)
	if err != nil {
		return domain.Request{}, nil, err
	}
	if holder != 0 {
		return domain.Request{}, nil, &domain.ChangeHeldError{InstanceID: inst.InstanceID, RequestID: holder}
	}
	// Only an extended lease is bounded by the team's longest.
	var maxLease *int
	if inst.TeamID != nil && kind == domain.KindExtendLease {
		team, err := w.Store.TeamByID(ctx, *inst.TeamID)
		if err != nil {
			return domain.Request{}, nil, err
		}
		maxLease = team.MaxLeaseDays
	}
	change, errs := spec.ValidateWith(in, inst, w.CurrentCatalog(ctx), w.leaseRule(maxLease))
	if len(errs) > 0 {
		return domain.Request{}, errs, nil
	}
	p, err := w.ChangeParams(ctx, inst)
	if err != nil {
		return domain.Request{}, nil, err
	}
	sub := Submission{Actor: a, Kind: kind, InstanceID: inst.InstanceID, Change: change, Params: p,
		Team: inst.Team, TeamID: inst.TeamID, MaxLeaseDays: maxLease, ReleaseAfter: cmp.Or(change.ReleaseAfter, inst.ReleaseAfter)}
	sub.LeaseDays = w.leaseDays(sub.ReleaseAfter)
	if w.Changes != nil {
		errs, err := w.Changes.CheckChange(ctx, &sub)
		if err != nil || len(errs) > 0 {
			return domain.Request{}, errs, err
		}
	}
	var d Decision
	if w.Policy != nil {
		if d, err = w.Policy.Decide(ctx, sub); err != nil {
			return domain.Request{}, nil, err
		}
		if d.Outcome == Deny {
			return domain.Request{}, d.Errors, nil
		}
	}
	var sealed []byte
	if change.Password != "" {
		if w.Sealer == nil {
			return domain.Request{}, nil, errors.New("submit change: no sealer for the password")
		}
		if sealed, err = w.Sealer.Seal([]byte(change.Password), []byte(p.Token)); err != nil {
			return domain.Request{}, nil, fmt.Errorf("seal password: %w", err)
		}
	}
	change.Password = ""
	n := store.NewRequest{Kind: kind, InstanceID: inst.InstanceID, Change: change, RequesterID: a.ID, Params: p,
		PasswordSealed: sealed, TeamID: inst.TeamID, Team: inst.Team, MonthlyPrice: sub.MonthlyPrice,
		Approved: w.approved}
	if d.Rule != "" {
		n.Policy = &store.PolicyDecision{Version: d.Version, Rule: d.Rule, Approve: d.Outcome == Approve}
	}
	r, err := w.Store.CreateRequest(ctx, n)
	var budget *domain.BudgetError
	if errors.As(err, &budget) {
		return domain.Request{}, domain.FieldErrors{"InstanceClass": budget.Problem()}, nil
	}
	return r, nil, err
}

// KindProblem says what is wrong with a kind of change that is none.
func KindProblem(k domain.RequestKind) string {
	names := slices.Sorted(slices.Values(domain.KindNames()[1:]))
	if k == "" {
		return "is required: one of " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("must be one of %s", strings.Join(names, ", "))
}
