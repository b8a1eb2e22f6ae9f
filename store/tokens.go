package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// APIToken is a personal access token as stored: never the token itself,
// only its hash.
type APIToken struct {
	ID         int64
	UserID     int64
	Username   string
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TokenOwner is a token found by its hash with its user as they are now:
// the token acts with the user's current role, and not at all once the
// user is disabled.
type TokenOwner struct {
	APIToken
	Role     domain.Role
	Disabled bool
}

const tokenColumns = `t.id, t.user_id, u.username, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

func tokenDests(t *APIToken) []any {
	return []any{&t.ID, &t.UserID, &t.Username, &t.Name, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt}
}

// CreateToken stores a token of userID by its hash, with its token.created
// event (the token's name and owner, as done by actorID), in one
// transaction.
func (s *Store) CreateToken(ctx context.Context, userID int64, name string, hash []byte, expiresAt time.Time, actorID *int64) (APIToken, error) {
	var t APIToken
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `WITH t AS (INSERT INTO api_tokens (user_id, name, hash, expires_at)
				VALUES ($1, $2, $3, $4) RETURNING *)
			SELECT `+tokenColumns+` FROM t JOIN users u ON u.id = t.user_id`,
			userID, name, hash, expiresAt).Scan(tokenDests(&t)...)
		if err != nil {
			return notFound(err, "create token")
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: domain.ActionTokenCreated,
			Details: domain.Details{domain.KeyAPIToken: t.Name, domain.KeyUser: t.Username, domain.KeyExpiresAt: t.ExpiresAt}})
	})
	return t, err
}

// TokenByHash finds the token of hash with its owner; ErrNotFound when
// there is none. Revoked and expired tokens are found too: the caller says
// why they no longer work.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (TokenOwner, error) {
	var o TokenOwner
	err := s.pool.QueryRow(ctx, `SELECT `+tokenColumns+`, u.role, u.disabled
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hash).
		Scan(append(tokenDests(&o.APIToken), &o.Role, &o.Disabled)...)
	if err != nil {
		return TokenOwner{}, notFound(err, "token")
	}
	return o, nil
}

// TokenUseResolution is how precisely a token's last use is kept: it is
// written at most once per period, not on every call.
const TokenUseResolution = time.Minute

// TouchToken records that token id was used at.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	// A token another request is already touching is skipped (see
	// TouchSession).
	_, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id =
		(SELECT id FROM api_tokens WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3) FOR UPDATE SKIP LOCKED)`,
		id, at, at.Add(-TokenUseResolution))
	if err != nil {
		return fmt.Errorf("touch token: %w", err)
	}
	return nil
}

// Token loads one token.
func (s *Store) Token(ctx context.Context, id int64) (APIToken, error) {
	var t APIToken
	err := s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.id = $1`, id).Scan(tokenDests(&t)...)
	if err != nil {
		return APIToken{}, notFound(err, "token")
	}
	return t, nil
}

// ListTokens lists the tokens of userID (0: everyone's), newest first.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE $1 = 0 OR t.user_id = $1 ORDER BY t.id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (APIToken, error) {
		var t APIToken
		return t, row.Scan(tokenDests(&t)...)
	})
}

// RevokeToken revokes token id, as done by actorID (nil: the system, from
// the command line), with its token.revoked event. A token already revoked
// is domain.ErrStateChanged, and nothing changes.
func (s *Store) RevokeToken(ctx context.Context, id int64, actorID *int64) (APIToken, error) {
	var t APIToken
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `WITH t AS (UPDATE api_tokens SET revoked_at = now(), revoked_by = $2
				WHERE id = $1 AND revoked_at IS NULL RETURNING *)
			SELECT `+tokenColumns+` FROM t JOIN users u ON u.id = t.user_id`, id, actorID).Scan(tokenDests(&t)...)
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := s.Token(ctx, id); err != nil {
				return err
			}
			return fmt.Errorf("revoke token: %w", domain.ErrStateChanged)
		}
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: domain.ActionTokenRevoked,
			Details: domain.Details{domain.KeyAPIToken: t.Name, domain.KeyUser: t.Username}})
	})
	return t, err
}

// viaTokenKey carries the name of the token an action is taken with.
type viaTokenKey struct{}

// ViaToken marks ctx as acting with the personal access token named name:
// every audit event written with ctx records it (detail "api_token").
func ViaToken(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, viaTokenKey{}, name)
}

// AtConsole marks ctx as a step an operator took at the console (the
// portal's command line, which has no signed-in user): every audit event
// written with ctx names them (detail "operator": the account that ran the
// command), so that the trail says who rather than only "KVPortal".
func AtConsole(ctx context.Context, operator string) context.Context {
	return context.WithValue(ctx, operatorKey{}, operator)
}

type operatorKey struct{}

// withTokenDetail adds to details, in a copy, the name of the token ctx
// acts with, the console operator it was taken by and the interface it
// came through (ViaInterface); details unchanged when there is none.
func withTokenDetail(ctx context.Context, details domain.Details) domain.Details {
	name, _ := ctx.Value(viaTokenKey{}).(string)
	operator, _ := ctx.Value(operatorKey{}).(string)
	via, _ := ctx.Value(viaInterfaceKey{}).(string)
	if name == "" && operator == "" && via == "" {
		return details
	}
	out := make(domain.Details, len(details)+3)
	for k, v := range details {
		out[k] = v
	}
	if name != "" {
		out[domain.KeyAPIToken] = name
	}
	if operator != "" {
		out[domain.KeyOperator] = operator
	}
	if via != "" {
		out[domain.KeyVia] = via
	}
	return out
}
