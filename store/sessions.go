package store

import (
	"github.com/kvportal/kvportal/domain"

	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// NewSession is a signed-in session to start. IDHash is the SHA-256 of the
// random id the cookie carries: the id itself is never stored.
type NewSession struct {
	IDHash    []byte
	UserID    int64
	At        time.Time
	Address   string
	UserAgent string
}

// Session is a signed-in session as its user sees it in their list.
type Session struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	SeenAt    time.Time
	Address   string
	UserAgent string
}

// ActiveSession is a session found by its id, with its user as stored now.
type ActiveSession struct {
	Session
	User User
}

const sessionColumns = `s.id, s.user_id, s.created_at, s.seen_at, s.address, s.user_agent`

func scanSession(row pgx.Row) (Session, error) {
	var s Session
	err := row.Scan(&s.ID, &s.UserID, &s.CreatedAt, &s.SeenAt, &s.Address, &s.UserAgent)
	return s, err
}

// StartSession stores a new session and writes ev (when its Action is set)
// in the same transaction.
// replaceHash, when set, is the hash of the session it replaces (the id
// rotates at sign-in): that one is deleted.
func (s *Store) StartSession(ctx context.Context, ns NewSession, replaceHash []byte, ev NewEvent) (Session, error) {
	var out Session
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if replaceHash != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, replaceHash); err != nil {
				return fmt.Errorf("end replaced session: %w", err)
			}
		}
		var err error
		out, err = scanSession(tx.QueryRow(ctx, `
			INSERT INTO sessions AS s (id_hash, user_id, created_at, seen_at, address, user_agent)
			VALUES ($1, $2, $3, $3, $4, $5) RETURNING `+sessionColumns,
			ns.IDHash, ns.UserID, ns.At, ns.Address, ns.UserAgent))
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		if ev.Action == "" {
			return nil
		}
		return s.insertEvent(ctx, tx, ev)
	})
	return out, err
}

// SessionByHash finds a session and its user by the hash of its id: one
// query, made on every signed-in request.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte) (ActiveSession, error) {
	var a ActiveSession
	u := &a.User
	err := s.pool.QueryRow(ctx, `
		SELECT `+sessionColumns+`, u.id, u.username, u.role, u.password_hash, u.disabled, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1`, idHash).Scan(&a.ID, &a.UserID, &a.CreatedAt, &a.SeenAt, &a.Address, &a.UserAgent,
		&u.ID, &u.Username, &u.Role, &u.PasswordHash, &u.Disabled, &u.CreatedAt)
	if err != nil {
		return ActiveSession{}, notFound(err, "session")
	}
	return a, nil
}

// TouchSession records that a session was seen at at. Every request of the
// session that finds its last-seen time old asks at once, and they must not
// queue on the row: one waiting for another's commit held up every page of
// a busy session (or a busy API token, see TouchToken) for as long as that
// commit took to reach the disk, once a minute. So a row another request is
// already touching is skipped: that one records the time.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET seen_at = $2 WHERE id_hash =
		(SELECT id_hash FROM sessions WHERE id_hash = $1 AND seen_at < $2 FOR UPDATE SKIP LOCKED)`, idHash, at); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// EndSessionByHash deletes a session by the hash of its id, with ev (when
// its Action is set) in the same transaction. A session already gone is no
// error: signing out twice signs out once.
func (s *Store) EndSessionByHash(ctx context.Context, idHash []byte, ev NewEvent) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		if ev.Action == "" {
			return nil
		}
		return s.insertEvent(ctx, tx, ev)
	})
}

// ListSessions lists a user's sessions, the most recently seen first.
func (s *Store) ListSessions(ctx context.Context, userID int64) ([]Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.user_id = $1 ORDER BY s.seen_at DESC, s.id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Session, error) { return scanSession(row) })
}

// CountSessions counts each user's sessions, for the users page.
func (s *Store) CountSessions(ctx context.Context) (map[int64]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT user_id, count(*) FROM sessions GROUP BY user_id`)
	if err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	defer rows.Close()
	n := map[int64]int{}
	for rows.Next() {
		var id int64
		var c int
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		n[id] = c
	}
	return n, rows.Err()
}

// EndSession deletes one of userID's sessions by its listed id, with ev in
// the same transaction; another user's session is ErrNotFound.
func (s *Store) EndSession(ctx context.Context, userID, sessionID int64, ev NewEvent) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, sessionID, userID)
		if err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("session: %w", ErrNotFound)
		}
		return s.insertEvent(ctx, tx, ev)
	})
}

// EndOtherSessions deletes every session of userID but the one whose id
// hashes to keepHash (nil: all of them), with ev in the same transaction
// when any was ended. It returns how many ended.
func (s *Store) EndOtherSessions(ctx context.Context, userID int64, keepHash []byte, ev NewEvent) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = endSessions(ctx, tx, userID, keepHash)
		if err != nil || n == 0 {
			return err
		}
		if ev.Details == nil {
			ev.Details = domain.Details{}
		}
		ev.Details[domain.KeySessions] = n
		return s.insertEvent(ctx, tx, ev)
	})
	return n, err
}

// endSessions deletes userID's sessions but keepHash's, in tx: the role,
// the password or the account changed, so every copy of their cookie must
// stop working at once, on every portal process.
func endSessions(ctx context.Context, tx pgx.Tx, userID int64, keepHash []byte) (int, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR id_hash <> $2)`, userID, keepHash)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredSessions deletes up to limit sessions idle since before
// idleBefore or started before startedBefore, and single sign-ons started
// before flowsBefore, and says how many sessions went. Each call is one
// bounded statement, so that a large backlog never holds long locks.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleBefore, startedBefore, flowsBefore time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM sessions WHERE id IN (
			SELECT id FROM sessions WHERE seen_at < $1
			UNION
			SELECT id FROM sessions WHERE created_at < $2
			LIMIT $3)`, idleBefore, startedBefore, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `
		DELETE FROM oidc_flows WHERE state_hash IN (
			SELECT state_hash FROM oidc_flows WHERE created_at < $1 LIMIT $2)`, flowsBefore, limit); err != nil {
		return 0, fmt.Errorf("delete stale sign-ons: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
