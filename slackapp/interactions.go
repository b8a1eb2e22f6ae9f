package slackapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// InteractionsPath is the route Slack posts clicks and modal submissions to
// (the app's Interactivity Request URL is the portal's public URL and it).
const InteractionsPath = "/chat/slack/interactions"

// maxPayload bounds an interaction's body: Slack's are a few kilobytes.
const maxPayload = 256 << 10

// callbackReject is the reason modal's callback id; its input's block and
// action ids are reasonBlock.
const (
	callbackReject = "kvportal_reject"
	reasonBlock    = "reason"
)

// Interactions is the interactions endpoint (InteractionsPath), taking its
// steps through wf: the workflow the pages and the API take them through.
func (a *App) Interactions(wf *workflow.Workflow) http.Handler { return &interactions{a: a, wf: wf} }

type interactions struct {
	a  *App
	wf *workflow.Workflow
}

// ServeHTTP is the interactions endpoint. Nothing of a request is read
// before its signature is checked: the raw body goes through Slack's
// verifier (v0 HMAC-SHA256 of "v0:timestamp:body" with the signing secret,
// compared in constant time; a timestamp more than five minutes away is
// refused, so an old request can't be replayed), and only then is the form
// parsed. A bad signature is a 401 and changes nothing. The route has no
// session and no CSRF token: Slack's signature is what proves where it
// comes from.
func (h *interactions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := h.a
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil || len(body) > maxPayload {
		http.Error(w, "unreadable or too large", http.StatusBadRequest)
		return
	}
	sv, err := slack.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		// The reason (stale, missing, wrong) is logged, not the headers.
		a.cfg.Logger.Warn("slack interaction refused: bad signature", "err", err, "remote", r.RemoteAddr)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		http.Error(w, "no interaction payload", http.StatusBadRequest)
		return
	}
	// The person waits on Slack's side, which gives up after 3 seconds.
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		h.blockActions(ctx, cb)
		w.WriteHeader(http.StatusOK)
	case slack.InteractionTypeViewSubmission:
		h.viewSubmission(ctx, w, cb)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// actor is the portal user who clicked as Slack user slackUserID, or what
// to tell them when there is none who may act.
func (a *App) actor(ctx context.Context, slackUserID string) (workflow.Actor, string, error) {
	u, err := a.cfg.Store.UserBySlackID(ctx, slackUserID)
	if errors.Is(err, store.ErrNotFound) && a.cfg.MatchEmail {
		u, err = a.userByEmail(ctx, slackUserID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return workflow.Actor{}, "Your Slack account is not linked to a KVPortal user, so nothing was changed. " +
			"Link it once on <" + a.cfg.BaseURL + SettingsPath + "|your KVPortal settings>: your Slack member id is " +
			slackUserID + ".", nil
	case err != nil:
		return workflow.Actor{}, "", err
	case u.Disabled:
		return workflow.Actor{}, "Your KVPortal account is disabled, so nothing was changed.", nil
	}
	return workflow.Actor{ID: u.ID, Role: u.Role}, "", nil
}

// refusal says in plain words why a step was not taken: the words the
// pages and the API use. An unexpected error is logged and said vaguely.
func (a *App) refusal(err error, id int64) string {
	var stateErr *domain.StateError
	var flowErr *workflow.Error
	switch {
	case errors.As(err, &stateErr):
		return domain.AlreadyDecided(stateErr.Current)
	case errors.As(err, &flowErr):
		return flowErr.Message
	}
	a.cfg.Logger.Error("slack interaction failed", "request_id", id, "err", err)
	return "KVPortal could not do this just now, so nothing was changed: try again, or decide on the request's page."
}

// blockActions handles a click on a message's button.
func (h *interactions) blockActions(ctx context.Context, cb slack.InteractionCallback) {
	a := h.a
	if len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	verb, id, ok := parseActionID(cb.ActionCallback.BlockActions[0].ActionID)
	if !ok {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	actor, problem, err := a.actor(ctx, cb.User.ID)
	if err != nil {
		problem = a.refusal(err, id)
	}
	if problem != "" {
		a.ephemeral(ctx, channel, cb.User.ID, problem)
		return
	}
	switch verb {
	case actionApprove:
		// The message itself is updated by the approval's event (the
		// outbox), as for an approval anywhere else.
		if _, err := h.wf.Approve(store.ViaInterface(ctx, Via), actor, id); err != nil {
			a.ephemeral(ctx, channel, cb.User.ID, a.refusal(err, id))
		}
	case actionReject:
		// Refused before the reason is asked for, with the words the
		// rejection itself would have; Reject checks everything again.
		if _, err := h.wf.Decidable(ctx, actor, id); err != nil {
			a.ephemeral(ctx, channel, cb.User.ID, a.refusal(err, id))
			return
		}
		if _, err := a.api.OpenViewContext(ctx, cb.TriggerID, rejectModal(id)); err != nil {
			a.cfg.Logger.Error("slack: views.open failed", "request_id", id, "err", err)
			a.ephemeral(ctx, channel, cb.User.ID, "Slack could not open the form for the reason, so nothing was changed: "+
				"try again, or reject it on the request's page.")
		}
	}
}

// rejectModal asks for the reason of rejecting request id.
func rejectModal(id int64) slack.ModalViewRequest {
	ids := strconv.FormatInt(id, 10)
	input := slack.NewPlainTextInputBlockElement(
		slack.NewTextBlockObject(slack.PlainTextType, "What should change for it to be approved?", false, false), reasonBlock).
		WithMultiline(true).WithMaxLength(workflow.ReasonMaxLen)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackReject,
		PrivateMetadata: ids,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Reject request "+ids, false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(reasonBlock, slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false),
				slack.NewTextBlockObject(slack.PlainTextType, "Its requester reads it on the request's page.", false, false), input),
		}},
	}
}

// viewSubmission handles the reason modal's submission: the rejection, or
// the refusal shown under the reason's field (the modal stays open).
func (h *interactions) viewSubmission(ctx context.Context, w http.ResponseWriter, cb slack.InteractionCallback) {
	a := h.a
	if cb.View.CallbackID != callbackReject {
		w.WriteHeader(http.StatusOK)
		return
	}
	id, err := strconv.ParseInt(cb.View.PrivateMetadata, 10, 64)
	if err != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	reason := ""
	if cb.View.State != nil {
		reason = cb.View.State.Values[reasonBlock][reasonBlock].Value
	}
	actor, problem, err := a.actor(ctx, cb.User.ID)
	if err != nil {
		problem = a.refusal(err, id)
	}
	if problem == "" {
		var errs domain.FieldErrors
		_, errs, err = h.wf.Reject(store.ViaInterface(ctx, Via), actor, id, reason)
		switch {
		case err != nil:
			problem = a.refusal(err, id)
		case errs["reason"] != "":
			problem = "The reason " + errs["reason"] + "."
		}
	}
	if problem == "" {
		w.WriteHeader(http.StatusOK) // an empty answer closes the modal
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(slack.NewErrorsViewSubmissionResponse(map[string]string{reasonBlock: problem}))
}

// ephemeral answers the clicker alone, in channel.
func (a *App) ephemeral(ctx context.Context, channel, user, text string) {
	if channel == "" || user == "" {
		return
	}
	if _, err := a.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false)); err != nil {
		a.cfg.Logger.Warn("slack: chat.postEphemeral failed", "err", err)
	}
}

// userByEmail is the portal user whose identity provider verified the
// email address Slack has for slackUserID: Slack verifies its users'
// addresses, and so did the provider, so the two accounts are the same
// person's. None, or several with it, is store.ErrNotFound (the person then
// links their account by hand).
func (a *App) userByEmail(ctx context.Context, slackUserID string) (store.User, error) {
	info, err := a.api.GetUserInfoContext(ctx, slackUserID)
	if err != nil {
		a.cfg.Logger.Warn("slack users.info failed: the click is matched by a link only", "err", err)
		return store.User{}, store.ErrNotFound
	}
	if info.Deleted || info.IsBot || info.Profile.Email == "" {
		return store.User{}, store.ErrNotFound
	}
	return a.cfg.Store.UserByVerifiedEmail(ctx, info.Profile.Email)
}
