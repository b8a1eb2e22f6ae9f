// Package preflight asks the cloud, before a request is stored, whether it
// would accept the request's CreateInstance: the same call with DryRun=true,
// which creates nothing. A refusal becomes a field error the submitter can
// fix at once, instead of a failure hours later, after the approval. A
// cloud that cannot be asked (unreachable, throttling, slow) does not stop
// the submission: the request is stored, and says the check was skipped.
//
// Every way of submitting (the form, the JSON API, the command line) calls
// Check, so that the rule lives in one place.
package preflight

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/workflow"
)

// Timeout bounds a pre-flight: past it, the submission goes on without.
const Timeout = 5 * time.Second

// Checker asks the cloud about a CreateInstance without making it
// (*rkvstore.Client).
type Checker interface {
	CheckCreate(ctx context.Context, p domain.Params, tags ...domain.Tag) error
}

// Result is how a pre-flight went.
type Result struct {
	// Outcome is domain.PreflightPassed, domain.PreflightSkipped, or "" for
	// a refusal.
	Outcome string
	// Field is the form field a refusal is about ("" when it names none);
	// Message says why, in the cloud's words, with its code.
	Field   string
	Message string
	// Code is the cloud's error code (refused or skipped).
	Code string
}

// Refused reports whether the cloud refused the request.
func (r Result) Refused() bool { return r.Outcome == "" }

// Check runs the pre-flight of p for a request of team (its tag, as the
// creation will send it), within Timeout. A nil checker passes nothing and
// refuses nothing: Outcome "skipped".
func Check(ctx context.Context, c Checker, p domain.Params, team domain.Tag) Result {
	if c == nil {
		return Result{Outcome: domain.PreflightSkipped, Code: "NoCloud"}
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	// The request tag is left out: the request has no number yet.
	err := c.CheckCreate(ctx, p, team)
	if err == nil {
		return Result{Outcome: domain.PreflightPassed}
	}
	apiErr := rkvstore.Classify(err)
	if apiErr.Class != rkvstore.Permanent || portalsOwn(apiErr.Code) {
		return Result{Outcome: domain.PreflightSkipped, Code: apiErr.Code}
	}
	field := fieldOf(apiErr)
	return Result{Field: field, Code: apiErr.Code, Message: refusal(apiErr, field)}
}

// portalsOwn reports whether a refusal is about the portal's own access to
// the cloud (its key, its signature, its permissions, a request that never
// left): not something the submitter can fix, so it does not stop the
// submission; the provisioner meets it again and fails with it.
func portalsOwn(code string) bool {
	switch {
	case strings.HasPrefix(code, "InvalidAccessKeyId"), strings.HasPrefix(code, "Signature"),
		strings.HasPrefix(code, "IncompleteSignature"), strings.HasPrefix(code, "Forbidden"),
		strings.HasPrefix(code, "MissingAccessKeyId"), code == rkvstore.CodeNotSent, code == rkvstore.CodeTLS:
		return true
	}
	return false
}

// refusal says why the cloud refused, in its words and with its code: to
// follow a field's label ("was refused by the cloud: …"), or, without a
// field, as a sentence of its own.
func refusal(e *rkvstore.APIError, field string) string {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = "no reason given."
	}
	if field == "" {
		return "The cloud refused this request: " + msg + " (" + e.Code + ")"
	}
	return "was refused by the cloud: " + msg + " (" + e.Code + ")"
}

// quotedParam finds the parameter a message names: `parameter "ZoneId"`,
// `parameter ZoneId`.
var quotedParam = regexp.MustCompile(`(?i)parameter\s+"?([A-Za-z][A-Za-z0-9.]*)"?`)

// fieldOf is the form field a refusal is about: the one its code names
// (an unknown class, region or zone, a zone without stock, a token used
// with other parameters), else the parameter its message names; "" for the
// rest (a quota, say), shown at the top of the form.
func fieldOf(e *rkvstore.APIError) string {
	switch code := e.Code; {
	case strings.HasPrefix(code, "InvalidInstanceClass"):
		return "InstanceClass"
	case strings.HasPrefix(code, "InvalidRegionId"):
		return "RegionId"
	case strings.HasPrefix(code, "InvalidZoneId"), code == "ResourceNotAvailable",
		strings.HasPrefix(code, "Zone."), strings.HasSuffix(code, "NoStock"), strings.Contains(code, "OutOfStock"):
		return "ZoneId"
	case code == "IdempotentParameterMismatch":
		return "Token"
	case strings.HasPrefix(code, "InvalidVpcId"):
		return "VpcId"
	case strings.HasPrefix(code, "InvalidVSwitchId"):
		return "VSwitchId"
	case strings.HasPrefix(code, "InvalidEngineVersion"):
		return "EngineVersion"
	case strings.Contains(strings.ToLower(code), "quota"):
		return ""
	}
	if m := quotedParam.FindStringSubmatch(e.Message); m != nil {
		name := m[1]
		if name == "PrivateIpAddress" {
			name = "PrivateIp"
		}
		if _, ok := domain.ParamByName(name); ok {
			return name
		}
	}
	return ""
}

// Gate is the pre-flight as the workflow asks for it: the dry run through
// Checker, its refusal as field errors (a message about the whole request
// under ""), and what happened logged.
type Gate struct {
	Checker Checker
	Logger  *slog.Logger
}

// Preflight implements workflow.Preflighter.
func (g Gate) Preflight(ctx context.Context, s workflow.Submission) (string, domain.FieldErrors) {
	res := Check(ctx, g.Checker, s.Params, domain.TeamTag(domain.Request{RequesterID: s.Actor.ID, Params: s.Params, Team: s.Team}))
	log := g.Logger
	if log == nil {
		log = slog.Default()
	}
	switch {
	case res.Outcome == domain.PreflightSkipped:
		log.WarnContext(ctx, "pre-flight skipped: the cloud could not be asked", "code", res.Code)
	case res.Refused():
		log.InfoContext(ctx, "pre-flight refused a submission", "code", res.Code, "field", res.Field)
		return "", domain.FieldErrors{res.Field: res.Message}
	}
	return res.Outcome, nil
}
