package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// UsernameRule says in words what ValidUsername accepts.
const UsernameRule = "use 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"

// usernamePattern is the users table's users_username_format check.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidUsername reports whether s may be a username (UsernameRule): the
// same rule as the database's check, for the command line and the web.
func ValidUsername(s string) bool { return usernamePattern.MatchString(s) }

// User is a person who signs in.
type User struct {
	ID           int64
	Username     string
	Role         domain.Role
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

const userColumns = `id, username, role, password_hash, disabled, created_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.Role, &u.PasswordHash, &u.Disabled, &u.CreatedAt)
	return u, err
}

// CreateUser adds a user with the audit event user.created. actorID is the
// admin who did it, nil from the command line.
func (s *Store) CreateUser(ctx context.Context, username string, role domain.Role, passwordHash string, actorID *int64) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `INSERT INTO users (username, role, password_hash) VALUES ($1, $2, $3) RETURNING `+userColumns,
			username, role, passwordHash))
		if isUniqueViolation(err, "users_username_key") {
			return fmt.Errorf("user %q: %w", username, ErrDuplicate)
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: domain.ActionUserCreated,
			Details: domain.Details{domain.KeyUserID: u.ID, domain.KeyUsername: u.Username, domain.KeyRole: string(u.Role)}})
	})
	return u, err
}

// UserByUsername finds a user by name.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if err != nil {
		return User{}, notFound(err, "user")
	}
	return u, nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, notFound(err, "user")
	}
	return u, nil
}
