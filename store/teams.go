package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// ErrNotMember: a request named a team its requester is not in.
var ErrNotMember = errors.New("not a member of that team")

const teamColumns = `t.id, t.name, t.max_instances, t.max_monthly_spend, t.max_lease_days, t.created_at, COALESCE(t.slack_channel, '')`

func scanTeam(row pgx.Row) (domain.Team, error) {
	var t domain.Team
	err := row.Scan(&t.ID, &t.Name, &t.MaxInstances, &t.MaxMonthlySpend, &t.MaxLeaseDays, &t.CreatedAt, &t.SlackChannel)
	return t, err
}

// CreateTeam adds a team with its limits (nil: none), with the event
// team.created. A name already taken is ErrDuplicate.
func (s *Store) CreateTeam(ctx context.Context, name string, maxInstances *int, maxSpend *float64, actorID *int64) (domain.Team, error) {
	if !domain.ValidTeamName(name) {
		return domain.Team{}, fmt.Errorf("team name %q: %s", name, domain.TeamNameRule)
	}
	var t domain.Team
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		t, err = scanTeam(tx.QueryRow(ctx, `INSERT INTO teams AS t (name, max_instances, max_monthly_spend) VALUES ($1, $2, $3)
			RETURNING `+teamColumns, name, maxInstances, maxSpend))
		if isUniqueViolation(err, "teams_name_key") {
			return fmt.Errorf("team %q: %w", name, ErrDuplicate)
		}
		if err != nil {
			return fmt.Errorf("create team: %w", err)
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: domain.ActionTeamCreated, Details: teamDetails(t)})
	})
	return t, err
}

func teamDetails(t domain.Team) domain.Details {
	return domain.Details{domain.KeyTeamID: t.ID, domain.KeyTeam: t.Name,
		"max_instances": domain.LimitText(t.MaxInstances), domain.KeyMaxSpend: domain.LimitText(t.MaxMonthlySpend)}
}

// SetTeamLimits changes a team's limits, with the event team.limits_changed.
// Lowering a limit below what the team uses refuses nothing already
// approved: it holds for what comes next.
func (s *Store) SetTeamLimits(ctx context.Context, teamID int64, maxInstances *int, maxSpend *float64, actorID *int64) (domain.Team, error) {
	var t domain.Team
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := lockTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		t, err = scanTeam(tx.QueryRow(ctx, `UPDATE teams t SET max_instances = $2, max_monthly_spend = $3, updated_at = now()
			WHERE id = $1 RETURNING `+teamColumns, teamID, maxInstances, maxSpend))
		if err != nil {
			return fmt.Errorf("set team limits: %w", err)
		}
		d := teamDetails(t)
		d[domain.KeyFromMaxInst], d[domain.KeyFromSpend] = domain.LimitText(old.MaxInstances), domain.LimitText(old.MaxMonthlySpend)
		changed := d[domain.KeyFromMaxInst] != d[domain.KeyMaxInst] || d[domain.KeyFromSpend] != d[domain.KeyMaxSpend]
		return s.teamEvent(ctx, tx, changed, NewEvent{ActorID: actorID, Action: domain.ActionTeamLimitsChanged, Details: d})
	})
	return t, err
}

// teamEvent records the event of a change of a team's setting, in tx, when
// the setting changed: a form or a command saves every setting it names,
// and one saved as it was changes nothing to audit.
func (s *Store) teamEvent(ctx context.Context, tx pgx.Tx, changed bool, e NewEvent) error {
	if !changed {
		return nil
	}
	return s.insertEvent(ctx, tx, e)
}

// lockTeam reads a team and locks its row until tx ends: whatever counts
// against the team's limits is decided one transaction at a time.
func lockTeam(ctx context.Context, tx pgx.Tx, teamID int64) (domain.Team, error) {
	t, err := scanTeam(tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1 FOR UPDATE`, teamID))
	if err != nil {
		return domain.Team{}, notFound(err, "team")
	}
	return t, nil
}

// TeamByName finds a team.
func (s *Store) TeamByName(ctx context.Context, name string) (domain.Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.name = $1`, name))
	if err != nil {
		return domain.Team{}, notFound(err, "team")
	}
	return t, nil
}

// TeamByID finds a team.
func (s *Store) TeamByID(ctx context.Context, id int64) (domain.Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	if err != nil {
		return domain.Team{}, notFound(err, "team")
	}
	return t, nil
}

// TeamSummary is a team with its members and what its requests add up to.
type TeamSummary struct {
	domain.Team
	// DefaultWhitelist prefills the creation form of the team's requests
	// ("" for none).
	DefaultWhitelist string
	Members          []string
	// Usage counts the requests not rejected, cancelled or failed; Pending
	// is how many of them wait for a decision.
	Usage   domain.Usage
	Pending int
}

// Teams lists every team by name, with members and usage.
func (s *Store) Teams(ctx context.Context) ([]TeamSummary, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+teamColumns+`, t.default_whitelist,
			COALESCE((SELECT array_agg(u.username ORDER BY u.username) FROM team_members m JOIN users u ON u.id = m.user_id
				WHERE m.team_id = t.id), '{}'),
			u.n, u.spend, u.pending
		FROM teams t CROSS JOIN LATERAL (`+usageQuery("t.id")+`) u
		ORDER BY t.name`)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (TeamSummary, error) {
		var ts TeamSummary
		err := row.Scan(&ts.ID, &ts.Name, &ts.MaxInstances, &ts.MaxMonthlySpend, &ts.MaxLeaseDays, &ts.CreatedAt, &ts.SlackChannel, &ts.DefaultWhitelist, &ts.Members,
			&ts.Usage.Instances, &ts.Usage.MonthlySpend, &ts.Pending)
		return ts, err
	})
}

// The statuses whose requests count against a team's limits: a submission
// is checked with the pending ones counted, an approval with those that
// were approved.
const (
	countedWhilePending = `'pending_approval', 'approved', 'provisioning', 'succeeded'`
	countedOnceApproved = `'approved', 'provisioning', 'succeeded'`
)

// usageQuery counts what a team's requests that are not rejected,
// cancelled or failed add up to: n, spend and pending.
func usageQuery(teamID string) string { return usageSQL(teamID, countedWhilePending) }

// currentMonthly is the SQL of the monthly estimate an instance counts at,
// its creation request being the row creation: its latest class change in a
// counted status, else its creation's.
func currentMonthly(creation, counted string) string {
	return `COALESCE((SELECT m.monthly_price FROM requests m WHERE ` + creation + `.instance_id <> ''
		AND m.instance_id = ` + creation + `.instance_id AND m.kind = 'modify_spec' AND m.status IN (` + counted + `)
		ORDER BY m.id DESC LIMIT 1), ` + creation + `.monthly_price)`
}

// usageSQL adds up team teamID's instances (n) and monthly spend, counting
// the requests in the statuses counted, and its pending requests of any
// kind. An instance counts from its creation's submission until it is
// released: a released one frees its slot and its spend at once. Its
// spend is the monthly estimate of its latest class change that counts, or
// else its creation's: a resize replaces the old estimate, it does not add
// to it.
func usageSQL(teamID, counted string) string {
	return `SELECT (count(*) FILTER (WHERE c.live))::int AS n,
		COALESCE(sum(` + currentMonthly("c", counted) + `) FILTER (WHERE c.live), 0)::float8 AS spend,
		(count(*) FILTER (WHERE c.status = 'pending_approval'))::int AS pending
		FROM (SELECT r.instance_id, r.monthly_price, r.status,
				r.kind = 'create' AND r.status IN (` + counted + `) AND i.status IS DISTINCT FROM 'Released' AS live
			FROM requests r LEFT JOIN instances i ON i.request_id = r.id
			WHERE r.team_id = ` + teamID + ` AND r.status IN (` + countedWhilePending + `)) c`
}

// TeamUsage is what the team's requests that are not rejected, cancelled
// or failed add up to, read without a lock.
func (s *Store) TeamUsage(ctx context.Context, teamID int64) (domain.Usage, error) {
	var u domain.Usage
	var pending int
	err := s.pool.QueryRow(ctx, usageQuery("$1"), teamID).Scan(&u.Instances, &u.MonthlySpend, &pending)
	if err != nil {
		return domain.Usage{}, fmt.Errorf("team usage: %w", err)
	}
	return u, nil
}

// UserTeams lists the teams a user is in, by name.
func (s *Store) UserTeams(ctx context.Context, userID int64) ([]domain.Team, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+teamColumns+` FROM teams t JOIN team_members m ON m.team_id = t.id
		WHERE m.user_id = $1 ORDER BY t.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("user teams: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Team, error) { return scanTeam(row) })
}

// AddMember puts a user in a team, with the event team.member_added; one
// already in it is ErrDuplicate.
func (s *Store) AddMember(ctx context.Context, teamID, userID int64, actorID *int64) error {
	return s.membership(ctx, teamID, userID, actorID, true)
}

// RemoveMember takes a user out of a team, with the event
// team.member_removed; one not in it is ErrNotFound. Their requests stay
// the team's.
func (s *Store) RemoveMember(ctx context.Context, teamID, userID int64, actorID *int64) error {
	return s.membership(ctx, teamID, userID, actorID, false)
}

func (s *Store) membership(ctx context.Context, teamID, userID int64, actorID *int64, add bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return s.membershipTx(ctx, tx, teamID, userID, actorID, add, nil) })
}

// membershipTx adds or removes a membership in tx, with its event (extra
// details added to it).
func (s *Store) membershipTx(ctx context.Context, tx pgx.Tx, teamID, userID int64, actorID *int64, add bool, extra domain.Details) error {
	var team, username string
	err := tx.QueryRow(ctx, `SELECT (SELECT name FROM teams WHERE id = $1), (SELECT username FROM users WHERE id = $2)`,
		teamID, userID).Scan(&team, &username)
	if err != nil {
		return fmt.Errorf("membership: %w", notFound(pgx.ErrNoRows, "team or user"))
	}
	sql, action := `INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, domain.ActionTeamMemberAdded
	if !add {
		sql, action = `DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, domain.ActionTeamMemberRemoved
	}
	tag, err := tx.Exec(ctx, sql, teamID, userID)
	if err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if add {
			return fmt.Errorf("%s in %s: %w", username, team, ErrDuplicate)
		}
		return fmt.Errorf("%s in %s: %w", username, team, ErrNotFound)
	}
	details := domain.Details{domain.KeyTeamID: teamID, domain.KeyTeam: team, domain.KeyUserID: userID, domain.KeyUsername: username}
	for k, v := range extra {
		details[k] = v
	}
	return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: action, Details: details})
}

// SyncTeams makes user userID a member of exactly the teams of want among
// managed (team names), as single sign-on's groups say at a sign-in:
// memberships of teams outside managed are left as admins made them. Each
// change is one membership event (no actor: KVPortal, detail "source":
// "sso"), all in one transaction. The teams of managed that don't exist are
// skipped and returned.
func (s *Store) SyncTeams(ctx context.Context, userID int64, managed, want []string) (missing []string, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		missing = nil
		rows, err := tx.Query(ctx, `SELECT t.id, t.name, EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = $2)
			FROM teams t WHERE t.name = ANY($1) ORDER BY t.name`, managed, userID)
		if err != nil {
			return fmt.Errorf("sync teams: %w", err)
		}
		type row struct {
			id     int64
			name   string
			member bool
		}
		teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.name, &x.member)
			return x, err
		})
		if err != nil {
			return fmt.Errorf("sync teams: %w", err)
		}
		found := map[string]bool{}
		for _, t := range teams {
			found[t.name] = true
			if in := slices.Contains(want, t.name); in != t.member {
				// Already done by a sign-in of the same user at the same
				// moment: nothing left to change.
				err := s.membershipTx(ctx, tx, t.id, userID, nil, in, domain.Details{domain.KeySource: "sso"})
				if err != nil && !errors.Is(err, ErrDuplicate) && !errors.Is(err, ErrNotFound) {
					return err
				}
			}
		}
		for _, name := range managed {
			if !found[name] && !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
		}
		return nil
	})
	return missing, err
}

// CheckTeamLimits checks, in tx with the team's row locked, that the team's limits
// hold with request r counted. At submission (pending) every request not
// rejected, cancelled or failed counts, so a team can't queue more than its
// limits; at approval only the approved ones and r, so that when two
// approvals race for the last slot, one wins and the other is refused
// (*domain.BudgetError), whatever waits in the queue.
func CheckTeamLimits(ctx context.Context, tx pgx.Tx, r domain.Request) error {
	return checkTeam(ctx, tx, r, false)
}

// checkTeam is CheckTeamLimits; with member, it first refuses a request
// whose requester is not in the team (ErrNotMember), read with the lock in
// the same round trip.
func checkTeam(ctx context.Context, tx pgx.Tx, r domain.Request, member bool) error {
	if r.TeamID == nil {
		return nil
	}
	if r.Kind.IsChange() {
		// A change belongs to its instance's team, whoever asks for it (an
		// approver, an admin), and only a new class changes what the team
		// spends.
		if r.Kind != domain.KindModifySpec {
			return nil
		}
		member = false
	}
	var t domain.Team
	var isMember bool
	err := tx.QueryRow(ctx, `SELECT `+teamColumns+`,
			EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = $2)
		FROM teams t WHERE t.id = $1 FOR UPDATE OF t`, *r.TeamID, r.RequesterID).
		Scan(&t.ID, &t.Name, &t.MaxInstances, &t.MaxMonthlySpend, &t.MaxLeaseDays, &t.CreatedAt, &t.SlackChannel, &isMember)
	switch {
	case member && (errors.Is(err, pgx.ErrNoRows) || err == nil && !isMember):
		return ErrNotMember
	case err != nil:
		return notFound(err, "team")
	}
	if t.MaxInstances == nil && t.MaxMonthlySpend == nil {
		return nil
	}
	counted := countedWhilePending
	if r.Status != domain.StatusPendingApproval {
		counted = countedOnceApproved
	}
	// r itself is counted as the transaction sees it: inserted or
	// approved already.
	var u domain.Usage
	var pending int
	err = tx.QueryRow(ctx, usageSQL("$1", counted), t.ID).Scan(&u.Instances, &u.MonthlySpend, &pending)
	if err != nil {
		return fmt.Errorf("team usage: %w", err)
	}
	return t.Admit(u)
}

// SetTeamWhitelist sets the whitelist that prefills the creation form's
// SecurityIps for the team's requests ("" for none), with the event
// team.whitelist_changed.
func (s *Store) SetTeamWhitelist(ctx context.Context, teamID int64, ips string, actorID *int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var name, old string
		err := tx.QueryRow(ctx, `UPDATE teams t SET default_whitelist = $2, updated_at = now()
			FROM (SELECT default_whitelist FROM teams WHERE id = $1 FOR UPDATE) o
			WHERE t.id = $1 RETURNING t.name, o.default_whitelist`, teamID, ips).Scan(&name, &old)
		if err != nil {
			return notFound(err, "team")
		}
		return s.teamEvent(ctx, tx, old != ips, NewEvent{ActorID: actorID, Action: domain.ActionTeamWhitelistChanged,
			Details: domain.Details{domain.KeyTeamID: teamID, domain.KeyTeam: name, domain.KeyFrom: old, domain.KeyTo: ips}})
	})
}

// TeamWhitelists are the default whitelists of the user's teams, by team
// name (teams without one left out).
func (s *Store) TeamWhitelists(ctx context.Context, userID int64) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.name, t.default_whitelist FROM teams t JOIN team_members m ON m.team_id = t.id
		WHERE m.user_id = $1 AND t.default_whitelist <> ''`, userID)
	if err != nil {
		return nil, fmt.Errorf("team whitelists: %w", err)
	}
	out := map[string]string{}
	var name, ips string
	_, err = pgx.ForEachRow(rows, []any{&name, &ips}, func() error {
		out[name] = ips
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("team whitelists: %w", err)
	}
	return out, nil
}

// SetTeamMaxLease sets the longest lease of the team's instances, in days
// (nil: none, and no lease required), with the event team.limits_changed.
func (s *Store) SetTeamMaxLease(ctx context.Context, teamID int64, days *int, actorID *int64) (domain.Team, error) {
	var t domain.Team
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := lockTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		t, err = scanTeam(tx.QueryRow(ctx, `UPDATE teams t SET max_lease_days = $2, updated_at = now()
			WHERE id = $1 RETURNING `+teamColumns, teamID, days))
		if err != nil {
			return fmt.Errorf("set team lease: %w", err)
		}
		d := teamDetails(t)
		d[domain.KeyMaxLease], d[domain.KeyFromMaxLease] = domain.LimitText(t.MaxLeaseDays), domain.LimitText(old.MaxLeaseDays)
		return s.teamEvent(ctx, tx, d[domain.KeyMaxLease] != d[domain.KeyFromMaxLease],
			NewEvent{ActorID: actorID, Action: domain.ActionTeamLimitsChanged, Details: d})
	})
	return t, err
}

// TeamInstance is a live instance of a team with its monthly estimate as
// the team's spend counts it (nil: unknown).
type TeamInstance struct {
	domain.Instance
	Monthly *float64
}

// TeamInstances lists the team's instances that were not released, by
// InstanceId, each with its monthly estimate: its latest class change's
// that counts, or its creation's (as usageSQL adds them up).
func (s *Store) TeamInstances(ctx context.Context, teamID int64) ([]TeamInstance, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+instanceColumns+`,
			`+currentMonthly("c", countedWhilePending)+`
		`+instanceFrom+` JOIN requests c ON c.id = i.request_id
		WHERE i.team_id = $1 AND i.status <> 'Released' ORDER BY i.instance_id LIMIT 500`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team instances: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TeamInstance, error) {
		var ti TeamInstance
		return ti, row.Scan(append(instanceDests(&ti.Instance), &ti.Monthly)...)
	})
	if err != nil {
		return nil, fmt.Errorf("team instances: %w", err)
	}
	return list, nil
}

// TeamNames lists the teams' names, by name: what a Team filter suggests.
// Teams would do, at the price of every team's usage, on pages (the audit
// trail, the lists) that show none of it.
func (s *Store) TeamNames(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM teams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("team names: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("team names: %w", err)
	}
	return names, nil
}

// TeamMembers lists the usernames of a team's members, by name.
func (s *Store) TeamMembers(ctx context.Context, teamID int64) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.username FROM team_members m JOIN users u ON u.id = m.user_id
		WHERE m.team_id = $1 ORDER BY u.username`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	return names, nil
}

// SetTeamSlackChannel sets the Slack channel team teamID's requests are
// posted to for approval ("" for the portal's default), with the event
// team.slack_channel_changed.
func (s *Store) SetTeamSlackChannel(ctx context.Context, teamID int64, channel string, actorID *int64) (domain.Team, error) {
	var t domain.Team
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := lockTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		t, err = scanTeam(tx.QueryRow(ctx, `UPDATE teams t SET slack_channel = NULLIF($2, ''), updated_at = now()
			WHERE id = $1 RETURNING `+teamColumns, teamID, channel))
		if err != nil {
			return fmt.Errorf("set team slack channel: %w", err)
		}
		return s.teamEvent(ctx, tx, old.SlackChannel != t.SlackChannel, NewEvent{ActorID: actorID, Action: domain.ActionTeamSlackChannelChanged,
			Details: domain.Details{domain.KeyTeamID: teamID, domain.KeyTeam: t.Name, domain.KeyFrom: old.SlackChannel, domain.KeyTo: t.SlackChannel}})
	})
	return t, err
}
