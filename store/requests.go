package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/rkvstore"
)

// Request is one request for an instance, as stored.
type Request struct {
	ID             int64
	RequesterID    int64
	RequesterName  string
	Status         Status
	Params         rkvstore.Params // Password always empty: see PasswordSet
	PasswordSet    bool
	PasswordSealed []byte // only filled by RequestForProvisioning
	DecidedBy      *int64
	DeciderName    string
	DecidedAt      *time.Time
	DecisionReason string
	Attempts       int
	NextAttemptAt  *time.Time
	InstanceID     string
	ResultName     string
	InstanceStatus string
	Result         map[string]any
	ErrorCode      string
	ErrorMessage   string
	ErrorRequestID string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
}

const requestColumns = `r.id, r.requester_id, ru.username, r.status, r.token,
	r.instance_name, r.instance_class, r.region_id, r.zone_id, r.charge_type, r.period,
	r.network_type, r.vpc_id, r.vswitch_id, r.private_ip, r.src_db_instance_id, r.backup_id,
	r.instance_type, r.engine_version, r.password_set,
	r.decided_by, COALESCE(du.username, ''), r.decided_at, r.decision_reason,
	r.attempts, r.next_attempt_at, r.instance_id, r.result_name, r.instance_status, r.result,
	r.error_code, r.error_message, r.error_request_id, r.created_at, r.updated_at, r.finished_at`

const requestFrom = ` FROM requests r JOIN users ru ON ru.id = r.requester_id LEFT JOIN users du ON du.id = r.decided_by`

func scanRequest(row pgx.Row) (Request, error) {
	var r Request
	var result []byte
	p := &r.Params
	err := row.Scan(&r.ID, &r.RequesterID, &r.RequesterName, &r.Status, &p.Token,
		&p.InstanceName, &p.InstanceClass, &p.RegionId, &p.ZoneId, &p.ChargeType, &p.Period,
		&p.NetworkType, &p.VpcId, &p.VSwitchId, &p.PrivateIp, &p.SrcDBInstanceId, &p.BackupId,
		&p.InstanceType, &p.EngineVersion, &r.PasswordSet,
		&r.DecidedBy, &r.DeciderName, &r.DecidedAt, &r.DecisionReason,
		&r.Attempts, &r.NextAttemptAt, &r.InstanceID, &r.ResultName, &r.InstanceStatus, &result,
		&r.ErrorCode, &r.ErrorMessage, &r.ErrorRequestID, &r.CreatedAt, &r.UpdatedAt, &r.FinishedAt)
	if err == nil && len(result) > 0 {
		err = json.Unmarshal(result, &r.Result)
	}
	return r, err
}

func collectRequests(rows pgx.Rows) ([]Request, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Request, error) { return scanRequest(row) })
}

// NewRequest is a validated request to store. PasswordSealed is the
// AEAD-sealed password, nil when none was given; Params.Password is ignored.
type NewRequest struct {
	RequesterID    int64
	Params         rkvstore.Params
	PasswordSealed []byte
}

// CreateRequest stores a new request in pending_approval together with its
// request.submitted event, in one statement. A token already used gives
// ErrDuplicate.
func (s *Store) CreateRequest(ctx context.Context, n NewRequest) (Request, error) {
	p := n.Params
	r, err := s.changeWithEvent(ctx, change{
		sql: `INSERT INTO requests (requester_id, token, instance_name, instance_class, region_id, zone_id,
				charge_type, period, network_type, vpc_id, vswitch_id, private_ip, src_db_instance_id,
				backup_id, instance_type, engine_version, password_sealed, password_set)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			RETURNING *`,
		args: []any{n.RequesterID, p.Token, p.InstanceName, p.InstanceClass, p.RegionId, p.ZoneId,
			p.ChargeType, p.Period, p.NetworkType, p.VpcId, p.VSwitchId, p.PrivateIp, p.SrcDBInstanceId,
			p.BackupId, p.InstanceType, p.EngineVersion, n.PasswordSealed, n.PasswordSealed != nil},
		event: NewEvent{ActorID: &n.RequesterID, Action: ActionRequestSubmitted, Details: paramDetails(p)},
	})
	if isUniqueViolation(err, "requests_token_key") {
		return Request{}, fmt.Errorf("token: %w", ErrDuplicate)
	}
	return r, err
}

// paramDetails is what the submitted event keeps of the parameters: all of
// them except the password.
func paramDetails(p rkvstore.Params) map[string]any {
	d := map[string]any{
		"InstanceClass": p.InstanceClass, "RegionId": p.RegionId, "ChargeType": p.ChargeType,
		"NetworkType": p.NetworkType, "InstanceType": p.InstanceType, "EngineVersion": p.EngineVersion,
		"Token": p.Token,
	}
	optional := map[string]string{"InstanceName": p.InstanceName, "ZoneId": p.ZoneId, "VpcId": p.VpcId,
		"VSwitchId": p.VSwitchId, "PrivateIp": p.PrivateIp, "SrcDBInstanceId": p.SrcDBInstanceId, "BackupId": p.BackupId}
	for k, v := range optional {
		if v != "" {
			d[k] = v
		}
	}
	if p.Period > 0 {
		d["Period"] = p.Period
	}
	return d
}

// Request loads one request.
func (s *Store) Request(ctx context.Context, id int64) (Request, error) {
	return requestByID(ctx, s.pool, id)
}

// rowQuerier is what a pool and a transaction have in common for one row.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// requestByID loads one request with q (the pool, or a transaction to see
// the request as that transaction does); never its password.
func requestByID(ctx context.Context, q rowQuerier, id int64) (Request, error) {
	r, err := scanRequest(q.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.id = $1`, id))
	if err != nil {
		return Request{}, notFound(err, "request")
	}
	return r, nil
}

// RequestFilter selects requests for a list. Zero fields select everything.
type RequestFilter struct {
	RequesterID int64
	// RequesterName selects the requests of the user of that name.
	RequesterName string
	Status        Status
	RegionID      string
	InstanceType  string
	InstanceID    string
	// Since and Until bound the time of submission: Since <= created_at < Until.
	Since time.Time
	Until time.Time
	// BeforeID continues a list after its last row (keyset pagination).
	BeforeID int64
	// Limit is the page size (default 50, at most 500).
	Limit int
}

// ListRequests lists requests newest first.
func (s *Store) ListRequests(ctx context.Context, f RequestFilter) ([]Request, error) {
	var c conditions
	if f.RequesterID != 0 {
		c.add("r.requester_id = $%d", f.RequesterID)
	}
	if f.RequesterName != "" {
		c.add("ru.username = $%d", f.RequesterName)
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
	if !f.Since.IsZero() {
		c.add("r.created_at >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		c.add("r.created_at < $%d", f.Until)
	}
	if f.BeforeID > 0 {
		c.add("r.id < $%d", f.BeforeID)
	}
	q := `SELECT ` + requestColumns + requestFrom + c.where() + " ORDER BY r.id DESC" + c.limit(limit(f.Limit))
	rows, err := s.pool.Query(ctx, q, c.args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return collectRequests(rows)
}

// PendingRequests lists requests waiting for a decision, oldest first, after
// the request afterID (keyset pagination; 0 for the first page).
//
// A pending request has no decision, attempt, instance or error yet, so only
// what such a request has is read: the approvals queue asks for 51 rows on
// every view (make bench, workload 2), and pgx decodes every column.
func (s *Store) PendingRequests(ctx context.Context, afterID int64, n int) ([]Request, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.requester_id, ru.username, r.status, r.token,
			r.instance_name, r.instance_class, r.region_id, r.zone_id, r.charge_type, r.period,
			r.network_type, r.vpc_id, r.vswitch_id, r.private_ip, r.src_db_instance_id, r.backup_id,
			r.instance_type, r.engine_version, r.password_set, r.created_at, r.updated_at
		FROM requests r JOIN users ru ON ru.id = r.requester_id
		WHERE r.status = 'pending_approval' AND r.id > $1 ORDER BY r.id LIMIT $2`, afterID, limit(n))
	if err != nil {
		return nil, fmt.Errorf("pending requests: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Request, error) {
		var r Request
		p := &r.Params
		err := row.Scan(&r.ID, &r.RequesterID, &r.RequesterName, &r.Status, &p.Token,
			&p.InstanceName, &p.InstanceClass, &p.RegionId, &p.ZoneId, &p.ChargeType, &p.Period,
			&p.NetworkType, &p.VpcId, &p.VSwitchId, &p.PrivateIp, &p.SrcDBInstanceId, &p.BackupId,
			&p.InstanceType, &p.EngineVersion, &r.PasswordSet, &r.CreatedAt, &r.UpdatedAt)
		return r, err
	})
}

// PendingCountCap is the most CountPending counts. The count is shown on
// every page an approver sees, and counting is linear in the number of
// pending requests (make bench: 7.5 ms for 11,000, the approvals page at 12%
// of its baseline); past the cap the top bar says "999+".
const PendingCountCap = 1000

// CountPending is the number of requests waiting for a decision, counted up
// to PendingCountCap: a result of PendingCountCap means at least that many.
func (s *Store) CountPending(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM requests
		WHERE status = 'pending_approval' LIMIT $1) pending`, PendingCountCap).Scan(&n)
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
