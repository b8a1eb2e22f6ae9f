package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// instanceColumns are the columns of an instance as instanceDests reads
// them, from instances i with its owner o and team t (instanceFrom).
const instanceColumns = `i.instance_id, i.request_id, i.instance_name, i.region_id, i.zone_id, i.instance_class,
	i.instance_type, i.engine_version, i.charge_type, i.team_id, COALESCE(t.name, ''), i.owner_id, o.username,
	i.status, i.connection_domain, i.connection_port, i.private_address, i.security_ips, i.end_time,
	i.release_after, i.scheduled_class, i.scheduled_by, i.created_at, i.updated_at`

const instanceFrom = ` FROM instances i JOIN users o ON o.id = i.owner_id LEFT JOIN teams t ON t.id = i.team_id`

func instanceDests(i *domain.Instance) []any {
	return []any{&i.InstanceID, &i.RequestID, &i.InstanceName, &i.RegionID, &i.ZoneID, &i.InstanceClass,
		&i.InstanceType, &i.EngineVersion, &i.ChargeType, &i.TeamID, &i.Team, &i.OwnerID, &i.OwnerName,
		&i.Status, &i.ConnectionDomain, &i.ConnectionPort, &i.PrivateAddress, &i.SecurityIPs, &i.EndTime,
		&i.ReleaseAfter, &i.ScheduledClass, &i.ScheduledBy, &i.CreatedAt, &i.UpdatedAt}
}

// Instance loads the instance the portal created with that InstanceId;
// ErrNotFound when the portal made none.
func (s *Store) Instance(ctx context.Context, instanceID string) (domain.Instance, error) {
	var i domain.Instance
	err := s.pool.QueryRow(ctx, `SELECT `+instanceColumns+instanceFrom+` WHERE i.instance_id = $1`, instanceID).
		Scan(instanceDests(&i)...)
	if err != nil {
		return domain.Instance{}, notFound(err, "instance")
	}
	return i, nil
}

// InstanceFilter selects instances for a list. Zero fields select every
// instance.
type InstanceFilter struct {
	// ViewerID selects the instances the user looks after: theirs and
	// their teams'.
	ViewerID int64
	// Team, RegionID and Status select by team name, region and the
	// cloud's status.
	Team     string
	RegionID string
	Status   string
	// EndsBefore selects the live instances whose lease or subscription
	// ends before it (zero: any).
	EndsBefore time.Time
	// After continues a list after its last InstanceId (keyset pagination).
	After string
	// Limit is the page size (default 50, at most 500).
	Limit int
}

// ListInstances lists instances by InstanceId.
func (s *Store) ListInstances(ctx context.Context, f InstanceFilter) ([]domain.Instance, error) {
	var c conditions
	if f.ViewerID != 0 {
		c.add("(i.owner_id = $%[1]d OR i.team_id IN (SELECT m.team_id FROM team_members m WHERE m.user_id = $%[1]d))", f.ViewerID)
	}
	if f.Team != "" {
		c.add("t.name = $%d", f.Team)
	}
	if f.RegionID != "" {
		c.add("i.region_id = $%d", f.RegionID)
	}
	if f.Status != "" {
		c.add("i.status = $%d", f.Status)
	}
	if !f.EndsBefore.IsZero() {
		c.add("i.status <> 'Released' AND (i.release_after < $%[1]d OR i.end_time < $%[1]d)", f.EndsBefore)
	}
	if f.After != "" {
		c.add("i.instance_id > $%d", f.After)
	}
	q := `SELECT ` + instanceColumns + instanceFrom + c.where() + ` ORDER BY i.instance_id` + c.limit(limit(f.Limit))
	return s.instances(ctx, "list instances", q, c.args...)
}

// instances reads the instances query selects (instanceColumns first), for
// the list of what names the read in an error.
func (s *Store) instances(ctx context.Context, what, query string, args ...any) ([]domain.Instance, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Instance, error) {
		var i domain.Instance
		return i, row.Scan(instanceDests(&i)...)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return list, nil
}

// InTeam reports whether user userID is a member of team teamID.
func (s *Store) InTeam(ctx context.Context, userID, teamID int64) (bool, error) {
	var in bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2)`,
		teamID, userID).Scan(&in)
	if err != nil {
		return false, fmt.Errorf("team membership: %w", err)
	}
	return in, nil
}

// InstanceRequests lists the requests about an instance, newest first: its
// creation and every change asked for since.
func (s *Store) InstanceRequests(ctx context.Context, instanceID string) ([]domain.Request, error) {
	return s.ListRequests(ctx, RequestFilter{InstanceID: instanceID, ForTable: true, Limit: 500})
}

// InstanceRequestIDs gives, for each of the instances ids, the ids of its
// requests newest first: in one statement for a whole page of instances.
func (s *Store) InstanceRequestIDs(ctx context.Context, ids []string) (map[string][]int64, error) {
	out := make(map[string][]int64, len(ids))
	rows, err := s.pool.Query(ctx, `SELECT instance_id, array_agg(id ORDER BY id DESC) FROM requests
		WHERE instance_id = ANY($1) GROUP BY instance_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("instance requests: %w", err)
	}
	var id string
	var reqs []int64
	_, err = pgx.ForEachRow(rows, []any{&id, &reqs}, func() error {
		out[id] = reqs
		reqs = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("instance requests: %w", err)
	}
	return out, nil
}
