package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// paramColumns lists the parameters' columns, each prefixed.
func paramColumns(prefix string) string {
	cols := domain.Columns()
	names := make([]string, len(cols))
	for i, m := range cols {
		names[i] = prefix + m.Column
	}
	return strings.Join(names, ", ")
}

// paramArgs are the values of paramColumns in p.
func paramArgs(p domain.Params) []any {
	cols := domain.Columns()
	args := make([]any, len(cols))
	for i, m := range cols {
		args[i] = m.ValueAt(&p)
	}
	return args
}

// NewRequest is a validated request to store. PasswordSealed is the
// AEAD-sealed password, nil when none was given; Params.Password is ignored.
type NewRequest struct {
	// Kind is what is asked (zero: a creation); a change names its
	// instance, InstanceID, and what it asks, Change (never a password).
	Kind        domain.RequestKind
	InstanceID  string
	Change      domain.Change
	RequesterID int64
	// ReleaseAfter is a creation's lease (nil: none).
	ReleaseAfter *time.Time
	// System: the portal submits the request itself, for RequesterID (the
	// whitelist of their creation): its event has no actor (KVPortal).
	System         bool
	Params         domain.Params
	PasswordSealed []byte
	// Preflight is how the submission's dry run went (domain.Preflight*).
	Preflight string
	// IdempotencyKey, when not empty, may be used once per requester:
	// another request with it gives ErrIdempotencyKeyUsed (see
	// RequestByIdempotencyKey). IdempotencyHash is kept with it.
	IdempotencyKey  string
	IdempotencyHash []byte
	// TeamID is the team the request belongs to, one its requester is in
	// (otherwise ErrNotMember); nil for none. Team is its name, for the
	// audit event.
	TeamID *int64
	Team   string
	// MonthlyPrice is the monthly price estimate, nil when unknown.
	MonthlyPrice *float64
	// Policy is what the approval policies said, nil when no rule matched.
	Policy *PolicyDecision
	// Approved runs in the submission's transaction when Policy approves
	// the request, with the request as approved: the approval's checks and
	// the provisioning job. An error rolls everything back.
	Approved func(ctx context.Context, tx pgx.Tx, r domain.Request) error
}

// PolicyDecision is the rule of the policies' version Version that matched
// a submission; Approve: the rule approves it at once.
type PolicyDecision struct {
	Version int64
	Rule    string
	Approve bool
}

// ErrIdempotencyKeyUsed: the requester already has a request with that
// Idempotency-Key; nothing was stored.
var ErrIdempotencyKeyUsed = errors.New("idempotency key already used")

// CreateRequest stores a new request in pending_approval together with its
// request.submitted event. With a team, in the same transaction and with
// the team's row locked, its requester's membership (ErrNotMember) and the
// team's limits are checked (*domain.BudgetError when the request would
// take the team over one). When a policy rule approves it, it is approved
// in that transaction too, by the rule (no person: the four-eyes rule is
// about people), with its request.approved event naming the rule and the
// policies' version, and Approved runs there: the request is stored,
// approved and its job enqueued, or nothing is. A token already used gives
// ErrDuplicate.
func (s *Store) CreateRequest(ctx context.Context, n NewRequest) (domain.Request, error) {
	if n.Kind == "" {
		n.Kind = domain.KindCreate
	}
	args := append([]any{n.RequesterID}, paramArgs(n.Params)...)
	args = append(args, n.PasswordSealed, n.PasswordSealed != nil, n.TeamID, n.MonthlyPrice, n.Preflight,
		n.Kind, n.InstanceID, n.Change, n.ReleaseAfter, n.IdempotencyKey, n.IdempotencyHash)
	details := n.Params.Details()
	if n.Kind.IsChange() {
		// A change's event says what it changes, not the parameters it
		// inherits from its instance.
		details = n.Change.Details()
		details[domain.KeyKind], details[domain.KeyInstanceID] = string(n.Kind), n.InstanceID
	} else if n.Change.SecurityIps != "" {
		details[domain.KeySecurityIps] = n.Change.SecurityIps
	}
	if n.ReleaseAfter != nil {
		details[domain.KeyReleaseAfter] = n.ReleaseAfter.UTC().Format(time.RFC3339)
	}
	if n.Preflight != "" {
		details[domain.KeyPreflight] = n.Preflight
	}
	if n.TeamID != nil {
		details[domain.DetailKey(domain.TeamField)] = n.Team
	}
	if n.MonthlyPrice != nil {
		details[domain.KeyMonthly] = domain.Money(*n.MonthlyPrice)
	}
	if n.Policy != nil {
		details[domain.KeyPolicyVer], details[domain.KeyPolicyRule] = n.Policy.Version, n.Policy.Rule
	}
	approve := n.Policy != nil && n.Policy.Approve
	submitter := &n.RequesterID
	if n.System {
		submitter = nil
	}
	var approved domain.Request
	var then func(ctx context.Context, tx pgx.Tx, r domain.Request) error
	if n.TeamID != nil || approve {
		then = func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
			if err := checkTeam(ctx, tx, r, true); err != nil {
				return err
			}
			if !approve {
				return nil
			}
			var err error
			approved, err = s.applyIn(ctx, tx, move{
				RequestID: r.ID, From: domain.StatusPendingApproval, To: domain.StatusApproved,
				Action:  domain.ActionRequestApproved,
				Details: domain.Details{domain.KeyPolicy: n.Policy.Rule, domain.KeyPolicyVer: n.Policy.Version},
				set:     "decided_at = now(), decided_by_rule = $4, policy_version = NULLIF($5, 0)",
				args:    []any{n.Policy.Rule, n.Policy.Version},
				then:    n.Approved,
			})
			return err
		}
	}
	r, err := s.changeWithEvent(ctx, change{
		sql: `INSERT INTO requests (requester_id, ` + paramColumns("") + `, password_sealed, password_set, team_id, monthly_price,
				preflight, kind, instance_id, change, release_after, idempotency_key, idempotency_hash)
			VALUES (` + placeholders(1, len(args)-2) + `, NULLIF($` + strconv.Itoa(len(args)-1) + `, ''), $` +
			strconv.Itoa(len(args)) + `) RETURNING *`,
		args:  args,
		event: NewEvent{ActorID: submitter, Action: domain.ActionRequestSubmitted, Details: details},
		then:  then,
	})
	if isUniqueViolation(err, "requests_token_key") {
		return domain.Request{}, fmt.Errorf("token: %w", ErrDuplicate)
	}
	if isUniqueViolation(err, "requests_idempotency_key") {
		return domain.Request{}, ErrIdempotencyKeyUsed
	}
	if isUniqueViolation(err, "requests_one_change_key") {
		return domain.Request{}, s.changeHolder(ctx, n.InstanceID)
	}
	if err == nil && approved.ID != 0 {
		return approved, nil
	}
	return r, err
}

// RequestByIdempotencyKey loads the request requesterID submitted with
// Idempotency-Key key, with the hash stored beside the key; ErrNotFound
// when there is none.
func (s *Store) RequestByIdempotencyKey(ctx context.Context, requesterID int64, key string) (domain.Request, []byte, error) {
	var r domain.Request
	var hash []byte
	err := wholeRead.scan(s.pool.QueryRow(ctx, `SELECT `+wholeRead.list+`, r.idempotency_hash`+wholeRead.from+`
		WHERE r.requester_id = $1 AND r.idempotency_key = $2`, requesterID, key), &r, &hash)
	if err != nil {
		return domain.Request{}, nil, notFound(err, "request by idempotency key")
	}
	return r, hash, nil
}

// placeholders is "$from, …, $to".
func placeholders(from, to int) string {
	ps := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		ps = append(ps, "$"+strconv.Itoa(i))
	}
	return strings.Join(ps, ", ")
}

// Request loads one request.
func (s *Store) Request(ctx context.Context, id int64) (domain.Request, error) {
	return requestByID(ctx, s.pool, id)
}

// rowQuerier is what a pool and a transaction have in common for one row.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// requestByID loads one request with q (the pool, or a transaction to see
// the request as that transaction does); never its password.
func requestByID(ctx context.Context, q rowQuerier, id int64) (domain.Request, error) {
	var r domain.Request
	if err := wholeRead.scan(q.QueryRow(ctx, `SELECT `+wholeRead.list+wholeRead.from+` WHERE r.id = $1`, id), &r); err != nil {
		return domain.Request{}, notFound(err, "request")
	}
	return r, nil
}

// RequestFilter selects requests for a list. Zero fields select everything.
type RequestFilter struct {
	RequesterID int64
	// RequesterName selects the requests of the user of that name.
	RequesterName string
	// Team selects the requests of the team of that name.
	Team         string
	Status       domain.Status
	RegionID     string
	InstanceType string
	InstanceID   string
	// WithInstance selects the requests that made an instance.
	WithInstance bool
	// Since and Until bound the time of submission: Since <= created_at < Until.
	Since time.Time
	Until time.Time
	// BeforeID continues a list after its last row (keyset pagination).
	BeforeID int64
	// Limit is the page size (default 50, at most 500).
	Limit int
	// ForTable reads only what a table of requests shows (shapeTable):
	// the other fields of the requests are left zero.
	ForTable bool
}

// ListRequests lists requests newest first.
func (s *Store) ListRequests(ctx context.Context, f RequestFilter) ([]domain.Request, error) {
	var c conditions
	if f.RequesterID != 0 {
		c.add("r.requester_id = $%d", f.RequesterID)
	}
	if f.RequesterName != "" {
		c.add("ru.username = $%d", f.RequesterName)
	}
	if f.Team != "" {
		c.add("t.name = $%d", f.Team)
	}
	if f.Status != "" {
		c.add("r.status = $%d", f.Status)
	}
	if f.RegionID != "" {
		c.add("r.region_id = $%d", f.RegionID)
	}
	if f.InstanceType != "" {
		c.add("r.instance_type = $%d", f.InstanceType)
	}
	if f.InstanceID != "" {
		c.add("r.instance_id = $%d", f.InstanceID)
	}
	if f.WithInstance {
		c.add("r.instance_id <> $%d", "")
	}
	if !f.Since.IsZero() {
		c.add("r.created_at >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		c.add("r.created_at < $%d", f.Until)
	}
	if f.BeforeID > 0 {
		c.add("r.id < $%d", f.BeforeID)
	}
	rd := &wholeRead
	if f.ForTable {
		rd = &tableRead
	}
	q := `SELECT ` + rd.list + rd.from + c.where() + " ORDER BY r.id DESC" + c.limit(limit(f.Limit))
	rows, err := s.pool.Query(ctx, q, c.args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return rd.collect(rows, limit(f.Limit))
}

// PendingRequests lists requests waiting for a decision, oldest first, after
// the request afterID (keyset pagination; 0 for the first page), with how
// many of all the pending ones viewer may decide (CountPending's count, for
// the top bar of the page that lists them): both in one statement, as the
// queue is an approver's most viewed page.
//
// A pending request has no decision, attempt, instance or error yet, so only
// what such a request has is read (shapePending).
func (s *Store) PendingRequests(ctx context.Context, viewer, afterID int64, n int) ([]domain.Request, int, error) {
	// The page size and the count's cap are written into the text, as in
	// conditions.limit: so that the statement's generic plan is kept.
	rows, err := s.pool.Query(ctx, `SELECT `+pendingRead.list+`, `+pendingCount("$2")+pendingRead.from+`
		WHERE r.status = 'pending_approval' AND r.id > $1 ORDER BY r.id LIMIT `+strconv.Itoa(limit(n)), afterID, viewer)
	if err != nil {
		return nil, 0, fmt.Errorf("pending requests: %w", err)
	}
	waiting := 0
	rs, err := pendingRead.collect(rows, limit(n), &waiting)
	if err != nil {
		return nil, 0, fmt.Errorf("pending requests: %w", err)
	}
	if len(rs) == 0 {
		// No row carried the count: a page past the last pending request.
		waiting, err = s.CountPending(ctx, viewer)
	}
	return rs, waiting, err
}

// PendingCountCap is the most CountPending counts. The count is shown on
// every page an approver sees, and counting is linear in the number of
// pending requests: ten thousand of them took milliseconds on every page
// view. Past the cap the top bar says "999+".
const PendingCountCap = 1000

// pendingCount is the expression of CountPending's count, the viewer given
// as the statement's placeholder, the cap written in (see conditions.limit).
func pendingCount(viewer string) string {
	return `(SELECT count(*) FROM (SELECT 1 FROM requests
		WHERE status = 'pending_approval' AND requester_id <> ` + viewer + ` LIMIT ` + strconv.Itoa(PendingCountCap) + `) pending)`
}

// CountPending is the number of requests waiting for a decision that viewer
// may take, so not their own (nobody decides their own request), counted up
// to PendingCountCap: a result of PendingCountCap means at least that many.
func (s *Store) CountPending(ctx context.Context, viewer int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT `+pendingCount("$1"), viewer).Scan(&n)
	return n, err
}

func limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
