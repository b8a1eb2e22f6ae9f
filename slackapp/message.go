package slackapp

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/kvportal/kvportal/domain"
)

// The action ids of the message's buttons: the verb, ":" and the request's
// id, so that a click names what it decides without any state of ours.
const (
	actionApprove = "kvportal_approve"
	actionReject  = "kvportal_reject"
)

// actionID is the action id of verb on request id.
func actionID(verb string, id int64) string { return verb + ":" + strconv.FormatInt(id, 10) }

// parseActionID reads an action id back: the verb and the request id.
func parseActionID(s string) (string, int64, bool) {
	verb, n, ok := strings.Cut(s, ":")
	id, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || id <= 0 || (verb != actionApprove && verb != actionReject) {
		return "", 0, false
	}
	return verb, id, true
}

// esc makes text typed by people (names, reasons) plain in Slack's mrkdwn:
// no link, mention or markup of theirs is taken for ours.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// when writes t as Slack shows dates, in the reader's time zone, with the
// portal's UTC form for clients that can't.
func when(t time.Time) string {
	utc := t.UTC().Format("2006-01-02 15:04:05") + " UTC"
	return fmt.Sprintf("<!date^%d^{date_num} {time_secs}|%s>", t.Unix(), utc)
}

// link is the request's page in the portal.
func (a *App) link(r domain.Request) string {
	return a.cfg.BaseURL + "/requests/" + strconv.FormatInt(r.ID, 10)
}

// message is request r's message as it now stands: what is asked, the
// link to its page, and either the buttons (while it waits) or what
// happened to it.
func (a *App) message(r domain.Request) []slack.MsgOption {
	spec := r.Kind.Spec()
	id := strconv.FormatInt(r.ID, 10)
	title := fmt.Sprintf("*<%s|Request %s>*: %s", a.link(r), id, esc(spec.Label))
	if r.Kind.IsChange() && r.InstanceID != "" {
		title += " of `" + esc(r.InstanceID) + "`"
	}
	var fields []*slack.TextBlockObject
	field := func(name, value string) {
		if value != "" {
			fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, "*"+name+"*\n"+value, false, false))
		}
	}
	field("Kind", esc(string(spec.Kind)))
	field("Region", esc(r.Params.RegionId))
	class := esc(r.Params.InstanceClass)
	if r.Change.InstanceClass != "" {
		class = esc(r.Change.FromClass) + " → " + esc(r.Change.InstanceClass)
	}
	field("Class", class)
	field("Instance name", esc(r.Params.InstanceName))
	price := "unknown"
	if r.MonthlyPrice != nil {
		price = domain.Money(*r.MonthlyPrice) + " a month"
	}
	field("Monthly estimate", price)
	field("Asked by", esc(r.RequesterName))
	team := "none"
	if r.Team != "" {
		team = esc(r.Team)
	}
	field("Team", team)

	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, title, false, false), fields, nil),
	}
	outcome := a.outcome(r)
	if r.Status == domain.StatusPendingApproval {
		approve := slack.NewButtonBlockElement(actionID(actionApprove, r.ID), id, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))
		approve.Style = slack.StylePrimary
		// Two steps, as on the page: approving starts a creation at once.
		approve.Confirm = slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Approve request "+id+"?", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "The portal starts making the change at once: "+spec.Label+".", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Approve request "+id, false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Not now", false, false))
		reject := slack.NewButtonBlockElement(actionID(actionReject, r.ID), id, slack.NewTextBlockObject(slack.PlainTextType, "Reject…", false, false))
		reject.Style = slack.StyleDanger
		blocks = append(blocks, slack.NewActionBlock("decide", approve, reject))
	} else {
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, outcome, false, false), nil, nil))
	}
	text := fmt.Sprintf("Request %s: %s, asked by %s. %s", id, spec.Label, r.RequesterName, plainOutcome(r))
	return []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
}

// outcome says what happened to r once it no longer waits: who decided and
// when, and how it ended.
func (a *App) outcome(r domain.Request) string {
	decided := ""
	switch {
	case r.DecidedByRule != "":
		decided = "Approved by the policy rule “" + esc(r.DecidedByRule) + "”"
	case r.DeciderName != "":
		decided = "by *" + esc(r.DeciderName) + "*"
		if r.DecidedAt != nil {
			decided += " at " + when(*r.DecidedAt)
		}
	}
	switch r.Status {
	case domain.StatusPendingApproval:
		return ":hourglass: Waits for an approver."
	case domain.StatusRejected:
		s := ":x: *Rejected* " + decided
		if r.DecisionReason != "" {
			s += "\n>" + strings.ReplaceAll(esc(r.DecisionReason), "\n", "\n>")
		}
		return s
	case domain.StatusCancelled:
		at := r.UpdatedAt
		if r.FinishedAt != nil {
			at = *r.FinishedAt
		}
		return ":heavy_multiplication_x: *Cancelled* by its requester at " + when(at) + "."
	}
	approved := ":white_check_mark: *Approved* " + decided + "."
	if r.DecidedByRule != "" {
		approved = ":white_check_mark: " + decided + "."
	}
	switch r.Status {
	case domain.StatusSucceeded:
		if r.Kind.IsChange() {
			return approved + " The change was made."
		}
		return approved + " Instance created: `" + esc(r.InstanceID) + "`."
	case domain.StatusFailed:
		return approved + " :warning: It failed: " + esc(r.ErrorCode) + " " + esc(r.ErrorMessage)
	}
	return approved + " The portal is making it now."
}

// plainOutcome is the status in a few plain words, for notifications and
// clients that show no blocks.
func plainOutcome(r domain.Request) string {
	switch {
	case r.Status == domain.StatusPendingApproval:
		return "It waits for an approver."
	case r.DeciderName != "" && (r.Status == domain.StatusRejected || r.Status == domain.StatusApproved):
		return r.Status.Label() + " by " + r.DeciderName + "."
	}
	return r.Status.Label() + "."
}
