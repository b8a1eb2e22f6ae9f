package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kvportal/kvportal/domain"
)

// EventFilter selects audit events. Zero fields select everything.
type EventFilter struct {
	// Actor is a username (what they did, and the sign-ins tried under
	// that name), or "system" for KVPortal itself.
	Actor      string
	Action     string
	RequestID  int64
	InstanceID string
	RegionID   string
	// Team selects the events of the team's requests and of the team
	// itself (created, limits changed, members).
	Team  string
	Since time.Time
	Until time.Time
	// BeforeID continues a list after its last row (keyset pagination:
	// every page costs the same, however deep).
	BeforeID int64
	Limit    int
}

// AuditEvent is an event with what an audit list shows of its request.
type AuditEvent struct {
	Event
	InstanceID string
	RegionID   string
	// Team is the team of the event's request, or the team a team event
	// is about; "" for none.
	Team string
	// Kind is the kind of the event's request ("" for an event of none).
	Kind string
}

// EventRow is one event as EachEvent hands it over. Its text columns are
// the database's own bytes, valid only until the callback returns (the next
// row reuses them): an export of a whole trail then allocates nothing per
// row, so its memory does not grow with the trail, not even up to the
// garbage collector's next goal.
type EventRow struct {
	ID int64
	At time.Time
	// HasActor is false for the system and for sign-in attempts.
	HasActor bool
	// RequestID is the event's request when HasRequest.
	RequestID  int64
	HasRequest bool
	ActorName  []byte // empty without an actor
	Action     []byte
	InstanceID []byte
	RegionID   []byte
	Team       []byte
	Kind       []byte
	// DetailsJSON is the details as stored (a JSON object's text).
	DetailsJSON []byte
}

// actorHalves are what an actor's filter reads instead of the whole trail:
// what the user did, and the failed sign-ins tried under their name, each
// served by its own index (audit_events_actor_idx and
// audit_events_login_failed_user_idx). One condition with an OR between
// the halves could use neither, and walked the trail from its newest event
// until a page was found: the whole trail for a name with few events. The
// placeholder is the query's first argument (see conditions).
var actorHalves = [2]string{
	`e.actor_id = (SELECT id FROM users WHERE username = $1)`,
	`e.action = '` + domain.ActionLoginFailed + `' AND e.actor_id IS NULL AND e.details->>'username' = $1`,
}

// byActor reports whether f reads actorHalves.
func (f EventFilter) byActor() bool { return f.Actor != "" && f.Actor != "system" }

// chosen is the statement of the ids-first page of n events: the filter's
// events newest first, at most n. An actor's is the merge of its two
// halves, each limited on its own: Postgres did not merge the two ordered
// index scans by itself, and read every event of the actor (a hundred
// thousand at ten million requests) to sort them.
func (f EventFilter) chosen(c *conditions, n int) string {
	order := " ORDER BY e.id DESC" + c.limit(n)
	if !f.byActor() {
		return "SELECT e.* FROM audit_events e" + c.where() + order
	}
	halves := make([]string, len(actorHalves))
	for i, h := range actorHalves {
		halves[i] = "(SELECT e.* FROM audit_events e WHERE " + strings.Join(append([]string{h}, c.terms...), " AND ") + order + ")"
	}
	return "SELECT e.* FROM (" + strings.Join(halves, " UNION ALL ") + ") e" + order
}

func (f EventFilter) conditions() *conditions {
	c := &conditions{}
	switch {
	case f.Actor == "system":
		// A sign-in attempt has no actor either, but it is a visitor's,
		// not KVPortal's.
		c.addFixed("e.actor_id IS NULL AND e.action NOT LIKE 'auth.%'")
	case f.byActor():
		// The events are read from actorHalves (see there); the
		// placeholder is its first argument.
		c.args = append(c.args, f.Actor)
	}
	if f.Action != "" {
		c.add("e.action = $%d", f.Action)
	}
	if f.RequestID != 0 {
		c.add("e.request_id = $%d", f.RequestID)
	}
	if f.InstanceID != "" {
		c.add("e.request_id IN (SELECT id FROM requests WHERE instance_id = $%d)", f.InstanceID)
	}
	if f.RegionID != "" {
		// A region may hold most of the requests or a handful. For a
		// common one the events are found by walking the trail newest
		// first; for a rare one, through its requests (requests_region_idx)
		// and their events (audit_events_request_idx): a walk would read
		// most of the trail. Only a plan made for the region given can
		// choose, so it is planned at each call.
		c.add("e.request_id IN (SELECT id FROM requests WHERE region_id = $%d)", f.RegionID)
		c.planEachCall = true
	}
	if f.Team != "" {
		c.add("(e.request_id IN (SELECT tr.id FROM requests tr JOIN teams tt ON tt.id = tr.team_id WHERE tt.name = $%[1]d) OR "+
			"(e.action LIKE 'team.%%' AND e.details->>'team' = $%[1]d))", f.Team)
	}
	if !f.Since.IsZero() {
		c.add("e.at >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		c.add("e.at < $%d", f.Until)
	}
	if f.BeforeID > 0 {
		c.add("e.id < $%d", f.BeforeID)
	}
	return c
}

// pageOfEvents is the statement of the filter's first n events, newest
// first, and what each shows of its user, request and team. The events are
// chosen and limited first, in a subquery, and only those n are joined:
// with the joins outside the limit, Postgres weighed them over every event
// the filter matches before keeping n, and for an actor with a hundred
// thousand events (or the export's whole trail) it chose to read every
// request and sort, seconds at ten million requests, rather than walk the
// events newest first and stop. The details are read as text (the export
// hands them over as sent, see EachEvent); the columns' positions are the
// auditCol constants.
func pageOfEvents(f EventFilter, c *conditions, n int) string {
	return `SELECT e.id, e.at, e.actor_id, COALESCE(u.username, ''), e.action, e.request_id, e.details::text,
	COALESCE(r.instance_id, ''), COALESCE(r.region_id, ''),
	COALESCE(t.name, CASE WHEN e.action LIKE 'team.%' THEN e.details->>'team' END, ''), COALESCE(r.kind, '')
	FROM (` + f.chosen(c, n) + `) e` + auditJoins + `
	ORDER BY e.id DESC`
}

// PageStatement is the statement ListEvents runs for f, with its arguments,
// and ExportStatement the one of each page EachEvent reads: for the
// benchmark's plans, which must show the store's own.
func (f EventFilter) PageStatement() (string, []any) {
	c := f.conditions()
	return pageOfEvents(f, c, limit(f.Limit)), c.args
}

// ExportStatement: see PageStatement.
func (f EventFilter) ExportStatement() (string, []any) {
	c := f.conditions()
	return pageOfEvents(f, c, exportPage), c.args
}

const auditJoins = `
	LEFT JOIN users u ON u.id = e.actor_id
	LEFT JOIN requests r ON r.id = e.request_id
	LEFT JOIN teams t ON t.id = r.team_id`

// The positions of pageOfEvents's text columns.
const (
	auditColActorName = 3
	auditColAction    = 4
	auditColDetails   = 6
	auditColInstance  = 7
	auditColRegion    = 8
	auditColTeam      = 9
	auditColKind      = 10
)

// scanAuditEvent reads an event with its details decoded.
func scanAuditEvent(row pgx.CollectableRow) (AuditEvent, error) {
	var a AuditEvent
	var details []byte
	err := row.Scan(&a.ID, &a.At, &a.ActorID, &a.ActorName, &a.Action, &a.RequestID, &details, &a.InstanceID, &a.RegionID, &a.Team, &a.Kind)
	if err == nil && len(details) > 0 {
		err = json.Unmarshal(details, &a.Details)
	}
	return a, err
}

// ListEvents lists audit events newest first.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]AuditEvent, error) {
	c := f.conditions()
	rows, err := s.pool.Query(ctx, pageOfEvents(f, c, limit(f.Limit)), c.queryArgs()...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return pgx.CollectRows(rows, scanAuditEvent)
}

// exportPage is how many events EachEvent reads per statement.
const exportPage = 5000

// EachEvent calls fn for every event the filter selects (its Limit and
// BeforeID apply too when set), newest first, one row at a time: memory
// stays constant whatever the number of events. fn gets the row in place
// (see EventRow) and must not keep it or its bytes.
//
// The events are read a page at a time, each page below the last one's
// oldest event, so none is read twice; events written meanwhile are newer
// than the first page and left out, as one statement's snapshot would
// have left them. One statement over the whole trail was planned for its total
// cost, joining and sorting everything before its first row (at fifty
// million events, minutes and gigabytes of temporary files before the
// download began), where a page is planned to start at once.
func (s *Store) EachEvent(ctx context.Context, f EventFilter, fn func(*EventRow) error) error {
	sc := newEventScanner()
	left := f.Limit
	for {
		n := exportPage
		if f.Limit > 0 {
			n = min(n, left)
		}
		read, err := s.eachEventOfPage(ctx, f, n, sc, fn)
		if err != nil {
			return err
		}
		left -= read
		if read < n || (f.Limit > 0 && left <= 0) {
			return nil
		}
		f.BeforeID = sc.row.ID
	}
}

// eachEventOfPage calls fn for each of the (at most n) events of the page
// f selects, scanned by sc, and returns how many there were; sc keeps the
// last one.
func (s *Store) eachEventOfPage(ctx context.Context, f EventFilter, n int, sc *eventScanner, fn func(*EventRow) error) (int, error) {
	c := f.conditions()
	rows, err := s.pool.Query(ctx, pageOfEvents(f, c, n), c.queryArgs()...)
	if err != nil {
		return 0, fmt.Errorf("export events: %w", err)
	}
	defer rows.Close()
	read := 0
	for rows.Next() {
		if err := sc.scan(rows); err != nil {
			return read, fmt.Errorf("export events: %w", err)
		}
		if err := fn(&sc.row); err != nil {
			return read, err
		}
		read++
	}
	if err := rows.Err(); err != nil {
		return read, fmt.Errorf("export events: %w", err)
	}
	return read, nil
}

// eventScanner reads rows of the audit statement into one EventRow,
// reused row after row and page after page.
type eventScanner struct {
	row        EventRow
	actor, req pgtype.Int8
	// The text columns are taken as sent (nil skips them in Scan): every
	// one of them is of type text, whose bytes are the same in either of
	// the protocol's formats. The destinations are made once: a list
	// written out for each row would be allocated for every row.
	dest []any
}

func newEventScanner() *eventScanner {
	sc := &eventScanner{}
	sc.dest = []any{&sc.row.ID, &sc.row.At, &sc.actor, nil, nil, &sc.req, nil, nil, nil, nil, nil}
	return sc
}

func (sc *eventScanner) scan(rows pgx.Rows) error {
	if err := rows.Scan(sc.dest...); err != nil {
		return err
	}
	raw, r := rows.RawValues(), &sc.row
	r.HasActor, r.HasRequest, r.RequestID = sc.actor.Valid, sc.req.Valid, sc.req.Int64
	r.ActorName, r.Action, r.DetailsJSON = raw[auditColActorName], raw[auditColAction], raw[auditColDetails]
	r.InstanceID, r.RegionID, r.Team, r.Kind = raw[auditColInstance], raw[auditColRegion], raw[auditColTeam], raw[auditColKind]
	return nil
}
