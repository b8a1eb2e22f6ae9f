package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// fail puts request id in failed with its password erased, or still kept
// for a re-queue when kept.
func (e *env) fail(id int64, kept bool) {
	e.t.Helper()
	var until any
	if kept {
		until = time.Now().Add(48 * time.Hour)
	}
	// An erased password is a sealed password no longer stored.
	if _, err := e.st.Pool().Exec(context.Background(), `UPDATE requests SET status = 'failed', password_set = true,
		password_kept_until = $2, password_sealed = CASE WHEN $3 THEN password_sealed END,
		error_code = 'InvalidParameter', finished_at = now() WHERE id = $1`, id, until, kept); err != nil {
		e.t.Fatal(err)
	}
}

// A failed request whose password was erased is retried by its requester
// with a new password, through the same step as the web page; everyone
// else, every other state and a bad password are refused with nothing
// changed, and the password is never sent back.
func TestRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pending := e.submit("rita")
	if res := e.as("rita", http.MethodPost, path(pending, "/retry"), map[string]any{"Password": "N3wSecretPw"}); res.status != http.StatusConflict {
		t.Errorf("retry of a pending request: %d %s", res.status, res.raw)
	}

	kept := e.submit("rita")
	e.fail(kept, true)
	res := e.as("rita", http.MethodPost, path(kept, "/retry"), map[string]any{"Password": "N3wSecretPw"})
	if res.status != http.StatusConflict || !strings.Contains(string(res.raw), "re-queues") {
		t.Errorf("retry while the password is kept: %d %s", res.status, res.raw)
	}

	erased := e.submit("rita")
	e.fail(erased, false)
	for _, who := range []string{"root", "anna"} {
		if res := e.as(who, http.MethodPost, path(erased, "/retry"), map[string]any{"Password": "N3wSecretPw"}); res.status != http.StatusForbidden {
			t.Errorf("%s retried rita's request: %d", who, res.status)
		}
	}
	if res := e.as("ruth", http.MethodPost, path(erased, "/retry"), map[string]any{"Password": "N3wSecretPw"}); res.status != http.StatusNotFound {
		t.Errorf("another requester's retry: %d", res.status)
	}
	bad := e.as("rita", http.MethodPost, path(erased, "/retry"), map[string]any{"Password": "short"})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(string(bad.raw), `"field":"Password"`) || strings.Contains(string(bad.raw), "short") {
		t.Errorf("a bad password: %d %s", bad.status, bad.raw)
	}
	if r, _ := e.st.Request(context.Background(), erased); r.Status != domain.StatusFailed {
		t.Fatalf("refused retries moved the request to %s", r.Status)
	}

	ok := e.as("rita", http.MethodPost, path(erased, "/retry"), map[string]any{"Password": "N3wSecretPw"})
	if ok.status != http.StatusOK || ok.body["status"] != string(domain.StatusApproved) || strings.Contains(string(ok.raw), "N3wSecretPw") {
		t.Fatalf("retry: %d %s", ok.status, ok.raw)
	}
	if e.enqueued.Load() != 1 {
		t.Errorf("%d provisioning jobs after the retry, want 1", e.enqueued.Load())
	}
	var events int
	_ = e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = $1 AND request_id = $2
		AND details ? 'api_token'`, domain.ActionRequestRetried, erased).Scan(&events)
	if events != 1 {
		t.Errorf("%d request.retried events naming the token, want 1", events)
	}
	// Once retried it is approved: a second retry is a conflict.
	if res := e.as("rita", http.MethodPost, path(erased, "/retry"), map[string]any{"Password": "N3wSecretPw"}); res.status != http.StatusConflict {
		t.Errorf("second retry: %d", res.status)
	}
}
