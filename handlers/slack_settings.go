package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// SlackLinker links a user's Slack account (*slackapp.App is one): a code
// sent by direct message to the member id they give, typed back here.
// StartLink and ConfirmLink answer a problem with what was typed ("": done)
// apart from an error.
type SlackLinker interface {
	Link(ctx context.Context, userID int64) (store.SlackLinkOf, error)
	StartLink(ctx context.Context, userID int64, memberID string) (problem string, err error)
	ConfirmLink(ctx context.Context, userID int64, code string) (problem string, err error)
	Unlink(ctx context.Context, userID int64) error
}

// The Slack settings form's fields.
const (
	slackMemberField = "member_id"
	slackCodeField   = "code"
)

// SlackSettings shows the Slack settings page (GET /settings/slack).
func (h *Handlers) SlackSettings(c echo.Context) error {
	v, err := h.slackView(c, "", "", "")
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "slack", pages.Slack(v))
}

// SendSlackCode sends a link code to the Slack member id typed (POST
// /settings/slack/code, field member_id). A member id that can't be: 422,
// the page again with the error beside it.
func (h *Handlers) SendSlackCode(c echo.Context) error {
	if h.Slack == nil {
		return errNotFound
	}
	member := c.FormValue(slackMemberField)
	problem, err := h.Slack.StartLink(c.Request().Context(), user(c).ID, member)
	if err != nil {
		return err
	}
	if problem != "" {
		return h.slackProblem(c, slackMemberField, member, problem)
	}
	return h.redirect(c, "/settings/slack", "A code was sent to you in Slack, in a direct message from KVPortal's app: type it below.")
}

// LinkSlack links the Slack account the pending code was sent to (POST
// /settings/slack/link, field code). A wrong or expired code: 422.
func (h *Handlers) LinkSlack(c echo.Context) error {
	if h.Slack == nil {
		return errNotFound
	}
	problem, err := h.Slack.ConfirmLink(c.Request().Context(), user(c).ID, c.FormValue(slackCodeField))
	if err != nil {
		return err
	}
	if problem != "" {
		return h.slackProblem(c, slackCodeField, "", problem)
	}
	return h.redirect(c, "/settings/slack", "Your Slack account is linked: your clicks on the portal's Slack messages now act as you.")
}

// UnlinkSlack ends the signed-in user's Slack link (POST
// /settings/slack/unlink).
func (h *Handlers) UnlinkSlack(c echo.Context) error {
	if h.Slack == nil {
		return errNotFound
	}
	if err := h.Slack.Unlink(c.Request().Context(), user(c).ID); err != nil {
		return err
	}
	return h.redirect(c, "/settings/slack", "The link with your Slack account was ended: clicks in Slack no longer act as you.")
}

// slackProblem is the page again with problem beside field (the code is
// never typed back in).
func (h *Handlers) slackProblem(c echo.Context, field, value, problem string) error {
	member := ""
	if field == slackMemberField {
		member = value
	}
	v, err := h.slackView(c, member, field, problem)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusUnprocessableEntity, "slack", pages.Slack(v))
}

// slackView is the page's view model, with member typed into its field and
// problem beside errField.
func (h *Handlers) slackView(c echo.Context, member, errField, problem string) (pages.SlackView, error) {
	v := pages.SlackView{Enabled: h.Slack != nil,
		Member: components.Field{Name: slackMemberField, Label: "Your Slack member id", Kind: "text", Value: member, Required: true,
			MaxLength: 32, Placeholder: "U0123ABCD", Autocomplete: "off", Help: "U followed by capital letters and digits."},
		Code: components.Field{Name: slackCodeField, Label: "Code", Kind: "text", Required: true, MaxLength: 16,
			Autocomplete: "one-time-code", Help: "The 8 characters KVPortal's app sent you in Slack."},
	}
	if h.Slack == nil {
		return v, nil
	}
	l, err := h.Slack.Link(c.Request().Context(), user(c).ID)
	if err != nil {
		return v, err
	}
	v.Linked, v.LinkedAt, v.Pending = l.SlackUserID, l.LinkedAt, l.Pending
	if problem != "" {
		f := &v.Member
		if errField == slackCodeField {
			f = &v.Code
		}
		f.Error = problem
		v.Errors = []components.FieldError{{Name: f.Name, Label: f.Label, Message: problem}}
	}
	return v, nil
}
