package store

import (
	"encoding/json"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// requestColumn is one column of a request's row: the SQL that reads it
// (requests r with its joins), the field it is scanned into, and the reads
// that select it. Every read of requests takes its select list and its
// scan destinations from this one list, so that a column is added in one
// place and a read can't list a column in one order and scan it in another.
type requestColumn struct {
	sql  string
	dest func(r *domain.Request) any
	in   requestShape
}

// requestShape is a set of fields of a request a read fills.
type requestShape uint8

const (
	// shapeWhole: every field but the sealed password (a request's page,
	// the workflow, the provisioner).
	shapeWhole requestShape = 1 << iota
	// shapeTable: what a table of requests shows (the history and the
	// admin's list of requests); a request's decision, attempts, errors and
	// other details are on its own page. A list page reads 51 rows; reading
	// every column for them was a sixth of the history page's work.
	shapeTable
	// shapePending: what the approvals queue shows of a pending request,
	// which has no decision, attempt, instance or error yet: the queue asks
	// for 51 rows on every view, and pgx decodes every column.
	shapePending
)

const allShapes = shapeWhole | shapeTable | shapePending

// requestColumns lists a request's columns in the order they are read: the
// request's own, one per parameter of the table (paramColumns' order),
// then what happened to it.
var requestColumns = func() []requestColumn {
	cols := []requestColumn{
		{"r.id", func(r *domain.Request) any { return &r.ID }, allShapes},
		{"r.requester_id", func(r *domain.Request) any { return &r.RequesterID }, allShapes},
		{"ru.username", func(r *domain.Request) any { return &r.RequesterName }, allShapes},
		{"r.status", func(r *domain.Request) any { return &r.Status }, allShapes},
		{"r.kind", func(r *domain.Request) any { return &r.Kind }, allShapes},
		{"r.change", func(r *domain.Request) any { return &r.Change }, allShapes},
	}
	for _, m := range domain.Columns() {
		cols = append(cols, requestColumn{"r." + m.Column, func(r *domain.Request) any { return m.Ptr(&r.Params) }, allShapes})
	}
	return append(cols, []requestColumn{
		{"r.password_set", func(r *domain.Request) any { return &r.PasswordSet }, shapeWhole | shapePending},
		{"r.decided_by", func(r *domain.Request) any { return &r.DecidedBy }, shapeWhole},
		{"COALESCE(du.username, '')", func(r *domain.Request) any { return &r.DeciderName }, shapeWhole},
		{"r.decided_at", func(r *domain.Request) any { return &r.DecidedAt }, shapeWhole},
		{"r.decision_reason", func(r *domain.Request) any { return &r.DecisionReason }, shapeWhole},
		{"r.attempts", func(r *domain.Request) any { return &r.Attempts }, shapeWhole},
		{"r.next_attempt_at", func(r *domain.Request) any { return &r.NextAttemptAt }, shapeWhole},
		{"r.instance_id", func(r *domain.Request) any { return &r.InstanceID }, shapeWhole | shapeTable},
		{"r.result_name", func(r *domain.Request) any { return &r.ResultName }, shapeWhole | shapeTable},
		{"r.instance_status", func(r *domain.Request) any { return &r.InstanceStatus }, shapeWhole | shapeTable},
		{"r.result", func(r *domain.Request) any { return resultDest{&r.Result} }, shapeWhole},
		{"r.error_code", func(r *domain.Request) any { return &r.ErrorCode }, shapeWhole},
		{"r.error_message", func(r *domain.Request) any { return &r.ErrorMessage }, shapeWhole},
		{"r.error_request_id", func(r *domain.Request) any { return &r.ErrorRequestID }, shapeWhole},
		{"r.created_at", func(r *domain.Request) any { return &r.CreatedAt }, allShapes},
		{"r.updated_at", func(r *domain.Request) any { return &r.UpdatedAt }, shapeWhole | shapePending},
		{"r.finished_at", func(r *domain.Request) any { return &r.FinishedAt }, shapeWhole},
		{"r.connection_domain", func(r *domain.Request) any { return &r.ConnectionDomain }, shapeWhole | shapeTable},
		{"r.connection_port", func(r *domain.Request) any { return &r.ConnectionPort }, shapeWhole | shapeTable},
		{"r.private_address", func(r *domain.Request) any { return &r.PrivateAddress }, shapeWhole},
		{"r.preflight", func(r *domain.Request) any { return &r.Preflight }, shapeWhole},
		{"r.password_kept_until", func(r *domain.Request) any { return &r.PasswordKeptUntil }, shapeWhole},
		{"r.decided_by_rule", func(r *domain.Request) any { return &r.DecidedByRule }, shapeWhole},
		{"r.policy_version", func(r *domain.Request) any { return &r.PolicyVersion }, shapeWhole},
		{"r.team_id", func(r *domain.Request) any { return &r.TeamID }, shapeWhole},
		{"COALESCE(t.name, '')", func(r *domain.Request) any { return &r.Team }, allShapes},
		{"r.monthly_price", func(r *domain.Request) any { return &r.MonthlyPrice }, shapeWhole | shapePending},
		{"r.release_after", func(r *domain.Request) any { return &r.ReleaseAfter }, shapeWhole | shapePending},
	}...)
}()

// resultDest scans the result column (jsonb, NULL until the cloud
// answered) into a request's Result. pgx would decode into the map itself,
// but it plans that scan again for every statement, with allocations that
// its plan for a pgtype.BytesScanner doesn't make; and a struct of one
// pointer is held by an interface without an allocation of its own.
type resultDest struct{ m *map[string]any }

// ScanBytes decodes the column's JSON; b is nil for NULL, and only valid
// during the call (json.Unmarshal copies what it keeps).
func (d resultDest) ScanBytes(b []byte) error {
	*d.m = nil
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, d.m)
}

// requestRead is one shape of request row: its select list, the tables it
// reads (requests r and what the columns join), its FROM clause and its
// columns in order.
type requestRead struct {
	list  string
	joins string
	from  string
	cols  []requestColumn
}

// The three reads of requests; the decider's name is only in the whole row,
// so only it joins the decider.
var (
	wholeRead   = newRequestRead(shapeWhole, requestJoins)
	tableRead   = newRequestRead(shapeTable, tableJoins)
	pendingRead = newRequestRead(shapePending, tableJoins)
)

// requestJoins are the tables the whole row reads beside requests r.
const requestJoins = ` JOIN users ru ON ru.id = r.requester_id LEFT JOIN users du ON du.id = r.decided_by
	LEFT JOIN teams t ON t.id = r.team_id`

// tableJoins are the tables the narrower rows read beside requests r.
const tableJoins = ` JOIN users ru ON ru.id = r.requester_id LEFT JOIN teams t ON t.id = r.team_id`

func newRequestRead(shape requestShape, joins string) requestRead {
	var rd requestRead
	names := make([]string, 0, len(requestColumns))
	for _, c := range requestColumns {
		if c.in&shape != 0 {
			rd.cols = append(rd.cols, c)
			names = append(names, c.sql)
		}
	}
	rd.list, rd.joins, rd.from = strings.Join(names, ", "), joins, ` FROM requests r`+joins
	return rd
}

// dests appends to d the scan destinations of the read's columns in r.
func (rd *requestRead) dests(d []any, r *domain.Request) []any {
	for i := range rd.cols {
		d = append(d, rd.cols[i].dest(r))
	}
	return d
}

// scan reads one row of the read's columns into r, then the columns that
// follow them (selected after the read's list) into extra.
func (rd *requestRead) scan(row pgx.Row, r *domain.Request, extra ...any) error {
	return row.Scan(append(rd.dests(make([]any, 0, len(rd.cols)+len(extra)), r), extra...)...)
}

// collect reads a list of requests, each row scanned in place into the
// list's next element, with one slice of destinations for every row: a
// page of 51 rows otherwise made a request value and a slice of
// destinations for each row, and copied each value into the list.
// capacity is the most rows expected; extra are the destinations of the
// columns after the read's, the same for every row.
func (rd *requestRead) collect(rows pgx.Rows, capacity int, extra ...any) ([]domain.Request, error) {
	defer rows.Close()
	rs := make([]domain.Request, 0, capacity)
	d := make([]any, 0, len(rd.cols)+len(extra))
	for rows.Next() {
		rs = append(rs, domain.Request{})
		d = append(rd.dests(d[:0], &rs[len(rs)-1]), extra...)
		if err := rows.Scan(d...); err != nil {
			return nil, err
		}
	}
	return rs, rows.Err()
}
