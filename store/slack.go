package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// SlackMessage is the Slack message of one request that waited for a
// person: the channel it goes to (the id Slack answered with, once
// posted), its ts once posted ("" before), and the request's status it
// last said.
type SlackMessage struct {
	RequestID int64
	Channel   string
	TS        string
	Shown     domain.Status
}

// CreateSlackMessageTx makes, in tx, the message row of request id when
// the request waits for a person (pending approval): its channel is the
// request's team's, or defaultChannel. It reports whether a row was made
// (false: the request does not wait, a policy approved it, or it has one).
func CreateSlackMessageTx(ctx context.Context, tx pgx.Tx, id int64, defaultChannel string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO slack_messages (request_id, channel)
		SELECT r.id, COALESCE(t.slack_channel, $2) FROM requests r LEFT JOIN teams t ON t.id = r.team_id
		WHERE r.id = $1 AND r.status = 'pending_approval'
		ON CONFLICT (request_id) DO NOTHING`, id, defaultChannel)
	if err != nil {
		return false, fmt.Errorf("slack message of request %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// HasSlackMessageTx reports, in tx, whether request id has a Slack message.
func HasSlackMessageTx(ctx context.Context, tx pgx.Tx, id int64) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM slack_messages WHERE request_id = $1)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("slack message of request %d: %w", id, err)
	}
	return ok, nil
}

// SlackMessage reads request id's Slack message.
func (s *Store) SlackMessage(ctx context.Context, id int64) (SlackMessage, error) {
	m := SlackMessage{RequestID: id}
	err := s.pool.QueryRow(ctx, `SELECT channel, COALESCE(ts, ''), shown FROM slack_messages WHERE request_id = $1`, id).
		Scan(&m.Channel, &m.TS, &m.Shown)
	if err != nil {
		return SlackMessage{}, notFound(err, "slack message")
	}
	return m, nil
}

// SyncSlackMessage brings request id's Slack message up to date: in one
// transaction it locks the message's row, reads the request as it now is
// and calls sync, which talks to Slack and returns the message as it then
// is; that is stored. The lock makes the syncs of one message take turns,
// on every process: a message is posted once and then only updated. An
// error from sync stores nothing. A request with no message is
// ErrNotFound.
func (s *Store) SyncSlackMessage(ctx context.Context, id int64,
	sync func(ctx context.Context, m SlackMessage, r domain.Request) (SlackMessage, error)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		m := SlackMessage{RequestID: id}
		err := tx.QueryRow(ctx, `SELECT channel, COALESCE(ts, ''), shown FROM slack_messages WHERE request_id = $1 FOR UPDATE`, id).
			Scan(&m.Channel, &m.TS, &m.Shown)
		if err != nil {
			return notFound(err, "slack message")
		}
		r, err := requestByID(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err := sync(ctx, m, r)
		if err != nil {
			return err
		}
		if out == m {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE slack_messages SET channel = $2, ts = NULLIF($3, ''), shown = $4, updated_at = now()
			WHERE request_id = $1`, id, out.Channel, out.TS, out.Shown)
		if err != nil {
			return fmt.Errorf("slack message of request %d: %w", id, err)
		}
		return nil
	})
}

// UserBySlackID is the portal user whose linked Slack account is
// slackUserID; ErrNotFound when none is.
func (s *Store) UserBySlackID(ctx context.Context, slackUserID string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT u.id, u.username, u.role, u.password_hash, u.disabled, u.created_at
		FROM slack_links l JOIN users u ON u.id = l.user_id WHERE l.slack_user_id = $1`, slackUserID))
	if err != nil {
		return User{}, notFound(err, "slack link")
	}
	return u, nil
}

// SlackLinkOf is user userID's link: the Slack member id and when it was
// made ("" when there is none), and the member id a pending code was sent
// to ("" when none waits).
type SlackLinkOf struct {
	SlackUserID string
	LinkedAt    time.Time
	Pending     string
}

// SlackLink reads user userID's link and any pending code's member id
// (one that has not expired at now).
func (s *Store) SlackLink(ctx context.Context, userID int64, now time.Time) (SlackLinkOf, error) {
	var l SlackLinkOf
	var linkedAt *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
			COALESCE((SELECT slack_user_id FROM slack_links WHERE user_id = $1), ''),
			(SELECT linked_at FROM slack_links WHERE user_id = $1),
			COALESCE((SELECT slack_user_id FROM slack_link_codes WHERE user_id = $1 AND expires_at > $2), '')`,
		userID, now).Scan(&l.SlackUserID, &linkedAt, &l.Pending)
	if err != nil {
		return SlackLinkOf{}, fmt.Errorf("slack link: %w", err)
	}
	if linkedAt != nil {
		l.LinkedAt = *linkedAt
	}
	return l, nil
}

// SaveSlackLinkCode keeps the hash of the code sent to slackUserID for user
// userID, replacing any earlier one, until expires.
func (s *Store) SaveSlackLinkCode(ctx context.Context, userID int64, slackUserID string, codeHash []byte, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO slack_link_codes (user_id, slack_user_id, code_hash, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET slack_user_id = EXCLUDED.slack_user_id, code_hash = EXCLUDED.code_hash,
			expires_at = EXCLUDED.expires_at, tries = 0`, userID, slackUserID, codeHash, expires)
	if err != nil {
		return fmt.Errorf("slack link code: %w", err)
	}
	return nil
}

// The refusals of ConfirmSlackLink.
var (
	// ErrLinkCode: no code waits, it expired, it was tried too often, or
	// the one typed is not it.
	ErrLinkCode = errors.New("wrong or expired link code")
	// ErrSlackTaken: the Slack account is linked to another portal user.
	ErrSlackTaken = errors.New("slack account linked to another user")
)

// SlackLinkMaxTries is how many wrong codes void a pending one.
const SlackLinkMaxTries = 5

// ConfirmSlackLink links user userID to the Slack account its pending code
// was sent to, when codeHash is that code's (compared in constant time)
// and it has not expired at now: the code is spent, any earlier link of
// the user replaced, with the event user.slack_linked. A wrong code counts
// a try, and the last try voids the code: ErrLinkCode.
func (s *Store) ConfirmSlackLink(ctx context.Context, userID int64, codeHash []byte, now time.Time) (string, error) {
	var slackUserID string
	var wrong bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var want []byte
		var expires time.Time
		var tries int
		err := tx.QueryRow(ctx, `SELECT slack_user_id, code_hash, expires_at, tries FROM slack_link_codes
			WHERE user_id = $1 FOR UPDATE`, userID).Scan(&slackUserID, &want, &expires, &tries)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrLinkCode
		}
		if err != nil {
			return fmt.Errorf("slack link code: %w", err)
		}
		if !expires.After(now) || tries >= SlackLinkMaxTries {
			_, err := tx.Exec(ctx, `DELETE FROM slack_link_codes WHERE user_id = $1`, userID)
			wrong = err == nil
			return err
		}
		if subtle.ConstantTimeCompare(want, codeHash) != 1 {
			if tries+1 >= SlackLinkMaxTries {
				_, err = tx.Exec(ctx, `DELETE FROM slack_link_codes WHERE user_id = $1`, userID)
			} else {
				_, err = tx.Exec(ctx, `UPDATE slack_link_codes SET tries = tries + 1 WHERE user_id = $1`, userID)
			}
			wrong = err == nil
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM slack_link_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("slack link code: %w", err)
		}
		var username string
		err = tx.QueryRow(ctx, `INSERT INTO slack_links (user_id, slack_user_id) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET slack_user_id = EXCLUDED.slack_user_id, linked_at = now()
			RETURNING (SELECT username FROM users WHERE id = $1)`, userID, slackUserID).Scan(&username)
		if isUniqueViolation(err, "slack_links_slack_user_key") {
			return ErrSlackTaken
		}
		if err != nil {
			return fmt.Errorf("slack link: %w", err)
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: &userID, Action: domain.ActionSlackLinked,
			Details: domain.Details{domain.KeyUserID: userID, domain.KeyUsername: username, domain.KeySlackUser: slackUserID}})
	})
	if wrong {
		// The try is counted (committed): the answer is still a refusal.
		return "", ErrLinkCode
	}
	return slackUserID, err
}

// UnlinkSlack ends user userID's Slack link, with the event
// user.slack_unlinked; ErrNotFound when there is none.
func (s *Store) UnlinkSlack(ctx context.Context, userID int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var slackUserID, username string
		err := tx.QueryRow(ctx, `DELETE FROM slack_links l USING users u WHERE l.user_id = $1 AND u.id = l.user_id
			RETURNING l.slack_user_id, u.username`, userID).Scan(&slackUserID, &username)
		if err != nil {
			return notFound(err, "slack link")
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: &userID, Action: domain.ActionSlackUnlinked,
			Details: domain.Details{domain.KeyUserID: userID, domain.KeyUsername: username, domain.KeySlackUser: slackUserID}})
	})
}

// ViaInterface marks ctx as a step taken through another interface than the
// portal's own pages, API or console (name: "slack"): every audit event
// written with ctx records it (detail "via").
func ViaInterface(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, viaInterfaceKey{}, name)
}

type viaInterfaceKey struct{}
