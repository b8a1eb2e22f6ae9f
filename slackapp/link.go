package slackapp

// Linking a Slack account to a portal user.
//
// A click in Slack must act as exactly one portal user, and only as the
// person who holds both accounts. The link is made from the portal's side:
// the signed-in user types their Slack member id on /settings/slack, the
// bot sends that member a one-time code in a direct message, and the user
// types the code back on the same page. Both halves are proven at once:
// the portal session says who they are in the portal, receiving the DM
// says they are that Slack member. The other way round (a code shown in
// the portal and sent to the bot) would let anyone who got hold of a code
// link their own Slack account to someone else's portal account, and it
// would need Slack's Events API besides; this needs only chat:write.
//
// Codes are 8 characters of base32 (40 bits: A to Z and 2 to 7, so no 0
// or 1 to take for O or I), kept only as a SHA-256, valid 10 minutes, void after 5 wrong tries, and
// spent once used; a new code replaces the old one.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/kvportal/kvportal/store"
)

// SettingsPath is the page where a user links their Slack account.
const SettingsPath = "/settings/slack"

// LinkCodeTTL is how long a link code may be typed in.
const LinkCodeTTL = 10 * time.Minute

// memberIDPattern is a Slack member id: U (or W, in an Enterprise Grid).
var memberIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// MemberIDRule says in words what a member id looks like.
const MemberIDRule = "must be a Slack member id: U followed by capital letters and digits (U0123ABCD; " +
	"in Slack, open your profile, then ⋮ and Copy member ID)"

// Link is user userID's link as it stands.
func (a *App) Link(ctx context.Context, userID int64) (store.SlackLinkOf, error) {
	return a.cfg.Store.SlackLink(ctx, userID, a.now())
}

// StartLink sends a link code to Slack member memberID by direct message
// for user userID. problem says what is wrong with memberID ("" when the
// code was sent), completing a sentence that starts with the field.
func (a *App) StartLink(ctx context.Context, userID int64, memberID string) (problem string, err error) {
	memberID = strings.ToUpper(strings.TrimSpace(memberID))
	if !memberIDPattern.MatchString(memberID) {
		return MemberIDRule, nil
	}
	other, err := a.cfg.Store.UserBySlackID(ctx, memberID)
	switch {
	case err == nil && other.ID != userID:
		return "is linked to another KVPortal user: they have to end that link first", nil
	case err == nil:
		return "is already linked to you", nil
	case !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	code := newLinkCode()
	if err := a.cfg.Store.SaveSlackLinkCode(ctx, userID, memberID, hashCode(code), a.now().Add(LinkCodeTTL)); err != nil {
		return "", err
	}
	text := "Your KVPortal link code is *" + code[:4] + "-" + code[4:] + "*. Type it on <" + a.cfg.BaseURL + SettingsPath +
		"|your KVPortal settings> within 10 minutes to link this Slack account. " +
		"If you did not ask for it, ignore this message: nothing is linked without the code."
	// A message to a member id goes to their direct messages with the app.
	if _, _, err := a.api.PostMessageContext(ctx, memberID, slack.MsgOptionText(text, false)); err != nil {
		var slackErr slack.SlackErrorResponse
		if errors.As(err, &slackErr) {
			a.cfg.Logger.Warn("slack: could not send a link code", "err", slackErr.Err)
			return "could not be sent a message by KVPortal's Slack app (" + slackErr.Err + "): check the id", nil
		}
		return "", err
	}
	return "", nil
}

// ConfirmLink links user userID to the Slack member its pending code was
// sent to, when code is that code. problem says why not ("" when linked).
func (a *App) ConfirmLink(ctx context.Context, userID int64, code string) (problem string, err error) {
	code = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
	_, err = a.cfg.Store.ConfirmSlackLink(ctx, userID, hashCode(code), a.now())
	switch {
	case errors.Is(err, store.ErrLinkCode):
		return "is not the code sent, or it expired or was tried too often: ask for a new one", nil
	case errors.Is(err, store.ErrSlackTaken):
		return "was sent to a Slack account that is now linked to another KVPortal user", nil
	}
	return "", err
}

// Unlink ends user userID's link; none is no error.
func (a *App) Unlink(ctx context.Context, userID int64) error {
	if err := a.cfg.Store.UnlinkSlack(ctx, userID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func newLinkCode() string { return rand.Text()[:8] }

func hashCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}
