package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// fakeLinker links any member id with the code "GOODCODE".
type fakeLinker struct {
	pending, linked map[int64]string
}

func (f *fakeLinker) Link(_ context.Context, id int64) (store.SlackLinkOf, error) {
	l := store.SlackLinkOf{SlackUserID: f.linked[id], Pending: f.pending[id]}
	if l.SlackUserID != "" {
		l.LinkedAt = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	}
	return l, nil
}

func (f *fakeLinker) StartLink(_ context.Context, id int64, member string) (string, error) {
	if !strings.HasPrefix(member, "U") {
		return "must be a Slack member id", nil
	}
	f.pending[id] = member
	return "", nil
}

func (f *fakeLinker) ConfirmLink(_ context.Context, id int64, code string) (string, error) {
	if code != "GOODCODE" || f.pending[id] == "" {
		return "is not the code sent", nil
	}
	f.linked[id], f.pending[id] = f.pending[id], ""
	return "", nil
}

func (f *fakeLinker) Unlink(_ context.Context, id int64) error {
	delete(f.linked, id)
	return nil
}

func TestSlackSettings(t *testing.T) {
	t.Parallel()
	linker := &fakeLinker{pending: map[int64]string{}, linked: map[int64]string{}}
	e := webtest.New(t, func(h *handlers.Handlers) { h.Slack = linker })
	u := e.User("ann", domain.RoleApprover)
	c := e.Client()
	c.Login("ann")

	if r := c.Get("/settings/slack"); r.Status != http.StatusOK || r.Doc.Find(`[data-testid="slack-unlinked"]`).Length() != 1 ||
		r.Doc.Find(`[data-testid="slack-link"]`).Length() != 0 {
		t.Fatalf("unlinked page: %d\n%s", r.Status, r.Body)
	}
	if r := c.Post("/settings/slack/code", url.Values{"member_id": {"#general"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "must be a Slack member id") {
		t.Fatalf("a bad member id: %d", r.Status)
	}
	if r := c.Post("/settings/slack/code", url.Values{"member_id": {"UANN0001"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("send code: %d", r.Status)
	}
	if r := c.Get("/settings/slack"); r.Doc.Find(`[data-testid="slack-link"]`).Length() != 1 {
		t.Fatalf("no code form after sending one:\n%s", r.Body)
	}
	if r := c.Post("/settings/slack/link", url.Values{"code": {"BADCODE1"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong code: %d", r.Status)
	}
	// Every POST here keeps its CSRF token: one without it changes nothing.
	if r := c.PostRaw("/settings/slack/link", "code=GOODCODE"); r.Status != http.StatusForbidden || linker.linked[u.ID] != "" {
		t.Fatalf("without a CSRF token: %d, linked %q", r.Status, linker.linked[u.ID])
	}
	if r := c.Post("/settings/slack/link", url.Values{"code": {"GOODCODE"}}); r.Status != http.StatusSeeOther || linker.linked[u.ID] != "UANN0001" {
		t.Fatalf("the right code: %d", r.Status)
	}
	if r := c.Get("/settings/slack"); !strings.Contains(r.Doc.Find(`[data-testid="slack-linked"]`).Text(), "UANN0001") {
		t.Fatalf("linked page:\n%s", r.Body)
	}
	if r := c.Post("/settings/slack/unlink", nil); r.Status != http.StatusSeeOther || linker.linked[u.ID] != "" {
		t.Fatalf("unlink: %d", r.Status)
	}
}

func TestSlackSettingsWithoutSlack(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	e.User("ann", domain.RoleRequester)
	c := e.Client()
	c.Login("ann")
	if r := c.Get("/settings/slack"); r.Status != http.StatusOK || r.Doc.Find(`[data-testid="slack-off"]`).Length() != 1 {
		t.Fatalf("page without Slack: %d", r.Status)
	}
	if r := c.Post("/settings/slack/code", url.Values{"member_id": {"UANN0001"}}); r.Status != http.StatusNotFound {
		t.Fatalf("send code without Slack: %d", r.Status)
	}
}
