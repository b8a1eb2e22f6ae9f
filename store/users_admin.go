package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// Errors of user management that users are told about.
var (
	// ErrLastAdmin: the change would leave no enabled admin.
	ErrLastAdmin = errors.New("this would leave no enabled admin")
	// ErrSelf: an admin may not disable themselves.
	ErrSelf = errors.New("you cannot disable your own account")
)

// ListUsers lists every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
}

// SetRole changes a user's role, with the event user.role_changed, and ends
// their sessions (a session's rights are those it was started with). Taking
// the last enabled admin's role away gives ErrLastAdmin.
func (s *Store) SetRole(ctx context.Context, userID int64, role domain.Role, actorID *int64) (User, error) {
	if !role.Valid() {
		return User{}, fmt.Errorf("unknown role %q", role)
	}
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		admins, err := lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		old, err := lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old.Role == role {
			u = old
			return nil
		}
		if old.Role == domain.RoleAdmin && !old.Disabled && !anotherAdmin(admins, userID) {
			return ErrLastAdmin
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET role = $2, updated_at = now() WHERE id = $1 RETURNING `+userColumns, userID, role))
		if err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		if _, err := endSessions(ctx, tx, userID, nil); err != nil {
			return err
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: domain.ActionUserRoleChanged,
			Details: domain.Details{domain.KeyUserID: u.ID, domain.KeyUsername: u.Username, domain.KeyFrom: string(old.Role), domain.KeyTo: string(role)}})
	})
	return u, err
}

// SetDisabled disables or enables a user, with its event, ending their
// sessions. An admin can't
// disable themselves (ErrSelf), nor the last enabled admin (ErrLastAdmin).
func (s *Store) SetDisabled(ctx context.Context, userID int64, disabled bool, actorID *int64) (User, error) {
	if disabled && actorID != nil && *actorID == userID {
		return User{}, ErrSelf
	}
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		admins, err := lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		old, err := lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old.Disabled == disabled {
			u = old
			return nil
		}
		if disabled && old.Role == domain.RoleAdmin && !anotherAdmin(admins, userID) {
			return ErrLastAdmin
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1 RETURNING `+userColumns, userID, disabled))
		if err != nil {
			return fmt.Errorf("set disabled: %w", err)
		}
		if _, err := endSessions(ctx, tx, userID, nil); err != nil {
			return err
		}
		action := domain.ActionUserEnabled
		if disabled {
			action = domain.ActionUserDisabled
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: action,
			Details: domain.Details{domain.KeyUserID: u.ID, domain.KeyUsername: u.Username}})
	})
	return u, err
}

func lockUser(ctx context.Context, tx pgx.Tx, id int64) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return User{}, notFound(err, "user")
	}
	return u, nil
}

// lockAdmins locks the enabled admins, always first and in id order, so that
// two admins demoting each other at once can't both succeed (nor deadlock).
func lockAdmins(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

func anotherAdmin(admins []int64, userID int64) bool {
	for _, id := range admins {
		if id != userID {
			return true
		}
	}
	return false
}

// SetPassword gives a user a new password hash, with the event
// user.password_changed, and ends their sessions: whoever knew the old
// password is signed out everywhere.
func (s *Store) SetPassword(ctx context.Context, userID int64, passwordHash string, actorID *int64) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING `+userColumns,
			userID, passwordHash))
		if err != nil {
			return notFound(err, "user")
		}
		n, err := endSessions(ctx, tx, userID, nil)
		if err != nil {
			return err
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: domain.ActionPasswordChanged,
			Details: domain.Details{domain.KeyUserID: u.ID, domain.KeyUsername: u.Username, domain.KeySessions: n}})
	})
	return u, err
}
