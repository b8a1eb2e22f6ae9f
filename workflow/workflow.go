// Package workflow is the life of a request, step by step: submit, approve,
// reject, cancel, re-queue. The web form, the JSON API and the command line
// all take these steps through a Workflow, so each rule (validation against
// the catalog, the four-eyes rule, who may see or cancel a request, the
// rejection reason's limits, one winner when two decide at once) is written
// once, here or in the packages it calls (domain's rules, store's
// transitions), and every caller says the same words.
//
// Callers only translate: they read their input (a form, a JSON body,
// flags), call a step and render its outcome. A step answers with
//   - the request as it now is;
//   - domain.FieldErrors when the input breaks a rule (422 on the form and in
//     the API), one message per field;
//   - an *Error when the actor may not take the step (not found, forbidden);
//   - a *domain.StateError when the request is no longer in a state that
//     allows the step (someone else decided first): nothing was changed;
//   - any other error: the database or the queue failed.
//
// Submission has hooks for what decides a request beside its own rules:
// Checks (a team's budget, a pre-flight dry run at the cloud) may refuse it
// with field errors, and a Policy may approve it at once, deny it, or leave
// it to an approver. Approvals run ApprovalChecks inside their own
// transaction, before the provisioning job is enqueued, so that a limit
// re-checked there holds when two approvals race.
package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
)

// CatalogSource gives the cloud's catalog; *rkvstore.CatalogCache is one.
// Get may return nil (not known): the rules then check what they can
// without it.
type CatalogSource interface {
	Get(ctx context.Context) *domain.Catalog
}

// EnqueueFunc runs in the approval's transaction, with the request as
// approved: the provisioner enqueues its job there.
type EnqueueFunc func(ctx context.Context, tx pgx.Tx, r domain.Request) error

// RequeueFunc sends a failed request back to approved with its same token,
// its provisioning job enqueued in the same transaction (the provisioner's
// Requeue).
type RequeueFunc func(ctx context.Context, requestID, adminID int64) (domain.Request, error)

// Workflow takes the steps of a request's life. Store and Sealer are
// required; every other field is optional.
type Workflow struct {
	Store *store.Store
	// Sealer seals instance passwords (aad: the request token).
	Sealer *secret.Sealer
	// Catalog narrows the rules to what the cloud offers; nil: unknown.
	Catalog CatalogSource
	// Enqueue is called inside the approval transaction. nil enqueues
	// nothing (no provisioner wired).
	Enqueue EnqueueFunc
	// Requeuer re-queues a failed request (the provisioner's Requeue); nil
	// uses the store's with Enqueue.
	Requeuer RequeueFunc

	// Checks run in order on a submission that passed the rules, before
	// anything is stored; the first that refuses ends the submission.
	Checks []Check
	// Changes settles a change's submission before the Policy reads it
	// (see ChangeCheck); nil: nothing beyond its fields.
	Changes ChangeCheck
	// Policy decides a submission that passed every check; nil: every
	// request waits for an approver.
	Policy Policy
	// ApprovalChecks run inside every approval's transaction (an
	// approver's or a policy's), before the job is enqueued; an error
	// rolls the approval back.
	ApprovalChecks []ApprovalCheck
	// Preflight asks the cloud whether it would accept a submission that
	// passed the checks (a dry run); nil asks nothing.
	Preflight Preflighter
	// MinLease is the shortest lease a creation or an extend_lease may ask
	// for (PORTAL_MIN_LEASE); 0: domain.DefaultMinLease.
	MinLease time.Duration
	// Clock is the clock a retry reads the password window by, and leases
	// are checked against; nil: the system's. The database's own clock has the last word.
	Clock domain.Clock
}

// Actor is who takes a step: a signed-in user, or the user a personal
// access token acts for, with their current role.
type Actor struct {
	ID   int64
	Role domain.Role
}

// Submission is a request about to be stored: its requester and its
// validated parameters, Token already chosen. Params.Password is the
// password as typed (a pre-flight needs it): never log or keep it.
type Submission struct {
	Actor Actor
	// Kind is what is asked ("" or create: a creation); a change names its
	// instance and what it asks (Change, with the password as typed for a
	// reset: never log or keep it).
	Kind       domain.RequestKind
	InstanceID string
	Change     domain.Change
	Params     domain.Params
	// Team is the team the request is for as given (domain.TeamField,
	// surrounding white space trimmed; "" when none was); a Check that
	// knows the requester's teams settles it: the team's name and TeamID,
	// or "" and nil for a request of no team.
	Team   string
	TeamID *int64
	// MonthlyPrice is the request's price estimate per month, set by a
	// Check that asked the cloud; nil when unknown.
	MonthlyPrice *float64
	// Requester is the requester's user name and PoliciesVersion the
	// version of the approval policies in force (0: none saved), as a
	// Check read them with the requester's teams, in the same round trip,
	// for the Policy; Requester is "" when no Check read them.
	Requester       string
	PoliciesVersion int64
	// MaxLeaseDays is the team's longest lease, as the Check that settled
	// the team read it (nil: none, and no lease required); ReleaseAfter is
	// the lease asked for (nil: none), for the Policy.
	MaxLeaseDays *int
	ReleaseAfter *time.Time
	// LeaseDays is ReleaseAfter in days from now, by the workflow's clock.
	LeaseDays *int
}

// Check is one step a submission passes after the rules and before it is
// stored: a team's budget, a pre-flight dry run at the cloud. It refuses
// with field errors (the same 422 as a broken rule; a message about the
// whole request goes under the field it is most about), or fails with an
// error when it could not decide. It may settle what s carries beside the
// parameters (its team, its price estimate) for the checks after it, the
// Policy and the store.
type Check interface {
	CheckSubmission(ctx context.Context, s *Submission) (domain.FieldErrors, error)
}

// Preflighter is the cloud's opinion of a submission before it is stored.
// A refusal is field errors; a message about the whole request is under
// the key "". Otherwise outcome says how the pre-flight went (passed, or
// skipped when the cloud could not be asked), kept with the request.
type Preflighter interface {
	Preflight(ctx context.Context, s Submission) (outcome string, errs domain.FieldErrors)
}

// Outcome is what a Policy decides about a submission.
type Outcome int

// The outcomes. The zero Outcome leaves the request to an approver.
const (
	RequireApproval Outcome = iota
	// Approve approves the request as soon as it is stored, as the system,
	// and provisioning starts.
	Approve
	// Deny refuses the submission: nothing is stored.
	Deny
)

// Decision is a Policy's answer. Rule names the rule that decided and
// Version the version of the rules it belongs to (both recorded with the
// request and in its audit events; "" when no rule matched); Errors say why
// a denied submission is refused, keyed by field.
type Decision struct {
	Outcome Outcome
	Rule    string
	Version int64
	Errors  domain.FieldErrors
}

// Policy decides what happens to a submission that passed every check.
type Policy interface {
	Decide(ctx context.Context, s Submission) (Decision, error)
}

// ApprovalCheck runs inside an approval's transaction with the request as
// approved; an error refuses the approval and nothing changes.
type ApprovalCheck interface {
	CheckApproval(ctx context.Context, tx pgx.Tx, r domain.Request) error
}

// Kind classifies an Error.
type Kind int

// The kinds of Error.
const (
	// NotFound: no such request, or the actor may not see it (the same
	// answer, so that ids reveal nothing).
	NotFound Kind = iota + 1
	// Forbidden: the actor sees the request but may not take the step.
	Forbidden
	// OverLimit: approving the request would take its team over one of
	// its limits; it still waits for a decision.
	OverLimit
	// Conflict: the request is where the step does not apply to it (an
	// admin's step instead, say); nothing was changed.
	Conflict
)

// Error is a step the actor may not take. Message says why in words safe
// to show, the same on every interface.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

// The refusals of the steps.
var (
	ErrNotFound     = &Error{NotFound, "There is nothing here, or you may not see it."}
	ErrRole         = &Error{Forbidden, "Your role does not allow this."}
	ErrOwnRequest   = &Error{Forbidden, "Nobody may decide their own request: another approver has to (four-eyes rule). Nothing was changed."}
	ErrNotRequester = &Error{Forbidden, "Only its requester can cancel a request."}
	ErrNotRetrier   = &Error{Forbidden, "Only its requester can retry a request with a new password."}
)

// CurrentCatalog returns the catalog, nil when unknown.
func (w *Workflow) CurrentCatalog(ctx context.Context) *domain.Catalog {
	if w.Catalog == nil {
		return nil
	}
	return w.Catalog.Get(ctx)
}

// Validate checks in against the rules and the catalog, as Submit does,
// without storing anything (a price estimate needs valid parameters).
func (w *Workflow) Validate(ctx context.Context, in domain.Input) (domain.Params, domain.FieldErrors) {
	return domain.Validate(in, w.CurrentCatalog(ctx))
}

// Request loads request id if a may see it: its requester, approvers and
// admins. Others get ErrNotFound, as if it did not exist.
func (w *Workflow) Request(ctx context.Context, a Actor, id int64) (domain.Request, error) {
	if id <= 0 {
		return domain.Request{}, ErrNotFound
	}
	r, err := w.Store.Request(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Request{}, ErrNotFound
	}
	if err != nil {
		return domain.Request{}, err
	}
	if r.RequesterID != a.ID && !a.Role.AtLeast(domain.RoleApprover) {
		return domain.Request{}, ErrNotFound
	}
	return r, nil
}

// Submit validates in, passes it through the Checks and the Policy, and
// stores it as a request of a, pending approval, with its password sealed
// and its token generated when none was typed. A token already used by
// another request is a field error like any other.
func (w *Workflow) Submit(ctx context.Context, a Actor, in domain.Input) (domain.Request, domain.FieldErrors, error) {
	return w.submit(ctx, a, in, store.NewRequest{})
}

// submit is Submit storing n's idempotency key and hash with the request.
func (w *Workflow) submit(ctx context.Context, a Actor, in domain.Input, n store.NewRequest) (domain.Request, domain.FieldErrors, error) {
	if !a.Role.AtLeast(domain.RoleRequester) {
		return domain.Request{}, nil, ErrRole
	}
	p, errs := w.Validate(ctx, in)
	// The whitelist to set once the instance is Normal: optional, with
	// the set_whitelist change's rules.
	var whitelist string
	if typed := strings.TrimSpace(in[domain.SecurityIpsField]); typed != "" {
		var problem string
		if whitelist, problem = domain.ParseSecurityIps(typed); problem != "" {
			if errs == nil {
				errs = domain.FieldErrors{}
			}
			errs[domain.SecurityIpsField] = problem
		}
	}
	if len(errs) > 0 {
		return domain.Request{}, errs, nil
	}
	n.Change.SecurityIps = whitelist
	if p.Token == "" {
		p.Token = domain.NewToken()
	}
	sub := Submission{Actor: a, Params: p, Team: strings.TrimSpace(in[domain.TeamField])}
	for _, c := range w.Checks {
		errs, err := c.CheckSubmission(ctx, &sub)
		if err != nil || len(errs) > 0 {
			return domain.Request{}, errs, err
		}
	}
	// The lease is checked once the team is known: its longest lease
	// makes one required.
	end, problem := domain.ParseReleaseAfter(strings.TrimSpace(in[domain.ReleaseAfterField]), w.leaseRule(sub.MaxLeaseDays))
	if problem != "" {
		return domain.Request{}, domain.FieldErrors{domain.ReleaseAfterField: problem}, nil
	}
	sub.ReleaseAfter, n.ReleaseAfter = end, end
	sub.LeaseDays = w.leaseDays(end)
	if w.Preflight != nil {
		outcome, errs := w.Preflight.Preflight(ctx, sub)
		if len(errs) > 0 {
			return domain.Request{}, errs, nil
		}
		n.Preflight = outcome
	}
	var d Decision
	if w.Policy != nil {
		var err error
		if d, err = w.Policy.Decide(ctx, sub); err != nil {
			return domain.Request{}, nil, err
		}
		if d.Outcome == Deny {
			return domain.Request{}, d.Errors, nil
		}
	}

	var sealed []byte
	if p.Password != "" {
		if w.Sealer == nil {
			return domain.Request{}, nil, errors.New("submit: no sealer for the password")
		}
		var err error
		if sealed, err = w.Sealer.Seal([]byte(p.Password), []byte(p.Token)); err != nil {
			return domain.Request{}, nil, fmt.Errorf("seal password: %w", err)
		}
	}
	p.Password = ""
	n.RequesterID, n.Params, n.PasswordSealed = a.ID, p, sealed
	n.TeamID, n.Team, n.MonthlyPrice = sub.TeamID, sub.Team, sub.MonthlyPrice
	if d.Rule != "" {
		n.Policy = &store.PolicyDecision{Version: d.Version, Rule: d.Rule, Approve: d.Outcome == Approve}
	}
	// A rule's approval happens in the transaction that stores the
	// request, with the approval's checks and the provisioning job: the
	// request is stored approved with its job, or not at all.
	n.Approved = w.approved
	r, err := w.Store.CreateRequest(ctx, n)
	var budget *domain.BudgetError
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return domain.Request{}, domain.FieldErrors{"Token": msgTokenUsed}, nil
	case errors.As(err, &budget):
		return domain.Request{}, domain.FieldErrors{domain.TeamField: budget.Problem()}, nil
	case errors.Is(err, store.ErrNotMember):
		return domain.Request{}, domain.FieldErrors{domain.TeamField: "is not one of your teams"}, nil
	}
	return r, nil, err
}

const msgTokenUsed = "is already used by another request: leave it empty to have one generated"

// approved runs inside an approval's transaction: the approval checks,
// then the provisioning job.
func (w *Workflow) approved(ctx context.Context, tx pgx.Tx, r domain.Request) error {
	for _, c := range w.ApprovalChecks {
		if err := c.CheckApproval(ctx, tx, r); err != nil {
			return err
		}
	}
	if w.Enqueue != nil {
		return w.Enqueue(ctx, tx, r)
	}
	return nil
}

// decidable loads request id for a decision by a: approvers only, never
// on one's own request.
func (w *Workflow) decidable(ctx context.Context, a Actor, id int64) (domain.Request, error) {
	if !a.Role.AtLeast(domain.RoleApprover) {
		return domain.Request{}, ErrRole
	}
	r, err := w.Request(ctx, a, id)
	if err != nil {
		return domain.Request{}, err
	}
	if r.RequesterID == a.ID {
		return r, ErrOwnRequest
	}
	return r, nil
}

// Decidable returns request id if a may decide it now, with the refusal
// Approve and Reject would give otherwise: an *Error (role, four-eyes rule,
// not found) or a *domain.StateError when it no longer waits. It changes
// nothing: for an interface that asks for more (a rejection's reason)
// before taking the step, which checks again.
func (w *Workflow) Decidable(ctx context.Context, a Actor, id int64) (domain.Request, error) {
	r, err := w.decidable(ctx, a, id)
	if err != nil {
		return domain.Request{}, err
	}
	if r.Status != domain.StatusPendingApproval {
		return domain.Request{}, &domain.StateError{Current: r}
	}
	return r, nil
}

// Approve approves pending request id: in one transaction the state, the
// audit event, the approval checks and the provisioning job. When two
// decide at once, one wins; the other gets a *domain.StateError. An
// approval the team's limits refuse is an *Error of Kind OverLimit.
func (w *Workflow) Approve(ctx context.Context, a Actor, id int64) (domain.Request, error) {
	if _, err := w.decidable(ctx, a, id); err != nil {
		return domain.Request{}, err
	}
	r, err := w.Store.MoveApproved(ctx, id, a.ID, w.approved)
	var budget *domain.BudgetError
	switch {
	case errors.Is(err, store.ErrOwnRequest):
		return domain.Request{}, ErrOwnRequest
	case errors.As(err, &budget):
		return domain.Request{}, &Error{OverLimit, fmt.Sprintf("Request %d was not approved: %s. It still waits for a decision: reject it, or raise the team's limit first.", id, budget.Message)}
	}
	return r, err
}

// ReasonMaxLen bounds a rejection reason, in characters.
const ReasonMaxLen = 1000

// Reject rejects pending request id with reason (surrounding white space
// trimmed; required, at most ReasonMaxLen characters). A reason that breaks
// a rule is a field error under "reason", returned with the request as it
// is; a request no longer pending is a *domain.StateError first, whatever
// the reason.
func (w *Workflow) Reject(ctx context.Context, a Actor, id int64, reason string) (domain.Request, domain.FieldErrors, error) {
	r, err := w.decidable(ctx, a, id)
	if err != nil {
		return domain.Request{}, nil, err
	}
	reason = strings.TrimSpace(reason)
	if problem := ReasonProblem(reason); problem != "" {
		if r.Status != domain.StatusPendingApproval {
			return domain.Request{}, nil, &domain.StateError{Current: r}
		}
		return r, domain.FieldErrors{"reason": problem}, nil
	}
	r, err = w.Store.MoveRejected(ctx, id, a.ID, reason)
	if errors.Is(err, store.ErrOwnRequest) {
		return domain.Request{}, nil, ErrOwnRequest
	}
	return r, nil, err
}

// Cancel cancels pending request id: only its requester may.
func (w *Workflow) Cancel(ctx context.Context, a Actor, id int64) (domain.Request, error) {
	r, err := w.Request(ctx, a, id)
	if err != nil {
		return domain.Request{}, err
	}
	if r.RequesterID != a.ID {
		return domain.Request{}, ErrNotRequester
	}
	return w.Store.MoveCancelled(ctx, id, a.ID)
}

// Requeue sends failed request id back to approved (admins): another round
// of attempts with the same token, so never a second instance. A request
// that is no longer failed is a *domain.StateError, and nothing changes.
func (w *Workflow) Requeue(ctx context.Context, a Actor, id int64) (domain.Request, error) {
	if !a.Role.AtLeast(domain.RoleAdmin) {
		return domain.Request{}, ErrRole
	}
	if _, err := w.Request(ctx, a, id); err != nil {
		return domain.Request{}, err
	}
	if w.Requeuer != nil {
		return w.Requeuer(ctx, id, a.ID)
	}
	return w.Store.MoveRequeued(ctx, id, a.ID, w.Enqueue)
}

// Retry sends failed request id, whose password was erased, back to
// approved with a new password, as its requester a asks: the same Token,
// so never a second instance. A password that breaks the rule is a field
// error under "Password", returned with the request as it is. A request in
// another state is a *domain.StateError first, whatever the password; a
// failed one that still keeps its password, or never had one, is an *Error
// of Kind Conflict (an admin re-queues those), and nothing changes.
func (w *Workflow) Retry(ctx context.Context, a Actor, id int64, password string) (domain.Request, domain.FieldErrors, error) {
	r, err := w.Request(ctx, a, id)
	if err != nil {
		return domain.Request{}, nil, err
	}
	if r.RequesterID != a.ID {
		return domain.Request{}, nil, ErrNotRetrier
	}
	if r.Status != domain.StatusFailed {
		return domain.Request{}, nil, &domain.StateError{Current: r}
	}
	if !r.PasswordErased(domain.Now(w.Clock)) {
		return domain.Request{}, nil, adminRequeues(id)
	}
	if problem := domain.NewPasswordProblem(password); problem != "" {
		return r, domain.FieldErrors{"Password": problem}, nil
	}
	if w.Sealer == nil {
		return domain.Request{}, nil, errors.New("retry: no sealer for the password")
	}
	sealed, err := w.Sealer.Seal([]byte(password), []byte(r.Params.Token))
	if err != nil {
		return domain.Request{}, nil, fmt.Errorf("seal password: %w", err)
	}
	r, err = w.Store.MoveRetried(ctx, id, a.ID, sealed, w.Enqueue)
	if se := (*domain.StateError)(nil); errors.As(err, &se) && se.Current.Status == domain.StatusFailed {
		// Still failed, so the database's clock found the password kept.
		return domain.Request{}, nil, adminRequeues(id)
	}
	return r, nil, err
}

// adminRequeues is the refusal of a retry that is an admin's re-queue.
func adminRequeues(id int64) *Error {
	return &Error{Conflict, fmt.Sprintf("Request %d still keeps its password, or never had one: an admin re-queues it. Nothing was changed.", id)}
}

// leaseRule is the rule a lease is checked by now, for a team whose
// longest lease is maxDays (nil: none).
func (w *Workflow) leaseRule(maxDays *int) domain.LeaseRule {
	return domain.LeaseRule{Now: domain.Now(w.Clock), Min: cmp.Or(w.MinLease, domain.DefaultMinLease), MaxDays: maxDays}
}

// leaseDays is a lease ending at end in days from now (nil: no lease).
func (w *Workflow) leaseDays(end *time.Time) *int {
	if end == nil {
		return nil
	}
	days := domain.LeaseDays(*end, domain.Now(w.Clock))
	return &days
}
