package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// SSOUser is a person as the identity provider presents them at a sign-in.
type SSOUser struct {
	Issuer  string
	Subject string
	// Username is the name wanted for a new user (ValidUsername); on a
	// clash with another user a number is added.
	Username string
	// Role is the one the provider's groups give, now.
	Role domain.Role
	// Email is the email address the provider verified now ("" for none):
	// kept as the user's, replacing the last one.
	Email string
}

// UpsertSSOUser finds the user issuer + subject, creating them at their
// first sign-in (event user.created) or setting the role their groups give
// now (event user.role_changed, their sessions ended), in one transaction.
// The identity provider decides the role of its users: even the last
// enabled admin is demoted when their groups say so (local break-glass
// admins are not its users). A disabled user is returned as they are.
func (s *Store) UpsertSSOUser(ctx context.Context, in SSOUser) (User, error) {
	if !in.Role.Valid() {
		return User{}, fmt.Errorf("unknown role %q", in.Role)
	}
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2 FOR UPDATE`,
			in.Issuer, in.Subject))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if err := s.createSSOUser(ctx, tx, in, &u); err != nil {
				return err
			}
			return setVerifiedEmail(ctx, tx, u.ID, in.Email)
		case err != nil:
			return fmt.Errorf("find sso user: %w", err)
		}
		if err := setVerifiedEmail(ctx, tx, u.ID, in.Email); err != nil {
			return err
		}
		if u.Disabled || u.Role == in.Role {
			return nil
		}
		from := u.Role
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET role = $2, updated_at = now() WHERE id = $1 RETURNING `+userColumns, u.ID, in.Role))
		if err != nil {
			return fmt.Errorf("set sso role: %w", err)
		}
		if _, err := endSessions(ctx, tx, u.ID, nil); err != nil {
			return err
		}
		return s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionUserRoleChanged, Details: domain.Details{
			"user_id": u.ID, domain.KeyUsername: u.Username, domain.KeyFrom: string(from), domain.KeyTo: string(in.Role), domain.KeySource: "identity provider"}})
	})
	return u, err
}

// createSSOUser inserts the user of a first single sign-on, under the name
// wanted or, when another user has it (a local user of that name is never
// taken over), the name with the lowest free number added.
func (s *Store) createSSOUser(ctx context.Context, tx pgx.Tx, in SSOUser, u *User) error {
	for n := 1; n <= 100; n++ {
		name := in.Username
		if n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		// No local password: password_hash '' never matches one.
		row, err := scanUser(tx.QueryRow(ctx, `
			INSERT INTO users (username, role, password_hash, oidc_issuer, oidc_subject) VALUES ($1, $2, '', $3, $4)
			ON CONFLICT DO NOTHING RETURNING `+userColumns, name, in.Role, in.Issuer, in.Subject))
		if errors.Is(err, pgx.ErrNoRows) {
			// The name is taken, or the same person signed in at the same
			// moment elsewhere: then theirs is the row.
			existing, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`,
				in.Issuer, in.Subject))
			if err == nil {
				*u = existing
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("find sso user: %w", err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("create sso user: %w", err)
		}
		*u = row
		return s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionUserCreated, Details: domain.Details{
			"user_id": u.ID, domain.KeyUsername: u.Username, domain.KeyRole: string(u.Role), domain.KeySource: "identity provider"}})
	}
	return fmt.Errorf("create sso user %q: %w", in.Username, ErrDuplicate)
}

// RefuseSSO records a refused single sign-on (event auth.sso_refused, no
// actor: nobody signed in) and ends the sessions of that person if they are
// already a user: their groups no longer give them a role.
func (s *Store) RefuseSSO(ctx context.Context, issuer, subject string, details domain.Details) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, issuer, subject).Scan(&id)
		switch {
		case err == nil:
			if _, err := endSessions(ctx, tx, id, nil); err != nil {
				return err
			}
			details[domain.KeyUserID] = id
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("find sso user: %w", err)
		}
		return s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionSSORefused, Details: details})
	})
}

// SSOFlow is a single sign-on in progress (table oidc_flows).
type SSOFlow struct {
	StateHash   []byte
	BindingHash []byte
	Nonce       string
	Verifier    string
	Next        string
	CreatedAt   time.Time
}

// StartSSOFlow stores a single sign-on in progress.
func (s *Store) StartSSOFlow(ctx context.Context, f SSOFlow) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO oidc_flows (state_hash, binding_hash, nonce, verifier, next_path, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, f.StateHash, f.BindingHash, f.Nonce, f.Verifier, f.Next, f.CreatedAt)
	if err != nil {
		return fmt.Errorf("start sign-on: %w", err)
	}
	return nil
}

// TakeSSOFlow deletes and returns the sign-on in progress whose state
// hashes to stateHash: a state is good for one callback only.
func (s *Store) TakeSSOFlow(ctx context.Context, stateHash []byte) (SSOFlow, error) {
	var f SSOFlow
	err := s.pool.QueryRow(ctx, `DELETE FROM oidc_flows WHERE state_hash = $1
		RETURNING state_hash, binding_hash, nonce, verifier, next_path, created_at`, stateHash).
		Scan(&f.StateHash, &f.BindingHash, &f.Nonce, &f.Verifier, &f.Next, &f.CreatedAt)
	if err != nil {
		return SSOFlow{}, notFound(err, "sign-on")
	}
	return f, nil
}

// setVerifiedEmail keeps the email address the identity provider verified
// at a sign-in as user id's.
func setVerifiedEmail(ctx context.Context, tx pgx.Tx, id int64, email string) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET verified_email = $2 WHERE id = $1 AND verified_email <> $2`, id, email); err != nil {
		return fmt.Errorf("verified email: %w", err)
	}
	return nil
}

// UserByVerifiedEmail finds the one user whose identity provider verified
// email (compared without case); ErrNotFound when none or several have it,
// so that an address shared by two accounts never picks one of them.
func (s *Store) UserByVerifiedEmail(ctx context.Context, email string) (User, error) {
	if email == "" {
		return User{}, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE lower(verified_email) = lower($1) AND verified_email <> '' LIMIT 2`, email)
	if err != nil {
		return User{}, fmt.Errorf("user by email: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
	if err != nil {
		return User{}, fmt.Errorf("user by email: %w", err)
	}
	if len(users) != 1 {
		return User{}, fmt.Errorf("user by email: %w", ErrNotFound)
	}
	return users[0], nil
}

// SetVerifiedEmail records the email address an identity provider verified
// for user id, as a sign-in does (tests and tools).
func (s *Store) SetVerifiedEmail(ctx context.Context, id int64, email string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return setVerifiedEmail(ctx, tx, id, email) })
}
