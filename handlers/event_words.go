package handlers

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
)

// systemActor is KVPortal itself (the provisioner, a sweep) as the audit
// filter and the CSV export name it: a machine value, as stable as the
// action names. Pages say portalName instead.
const (
	systemActor = "system"
	portalName  = "KVPortal"
)

// actorName is who did an event, as pages name them: a user, KVPortal
// itself, or a visitor (a sign-in attempt without a user, whose details
// name the username tried).
func actorName(e store.Event) string {
	if e.ActorID != nil {
		return e.ActorName
	}
	return noActorName(e.Action)
}

// noActorName is who did an event of action that has no actor: a visitor
// (a sign-in attempt) or KVPortal itself.
func noActorName(action string) string {
	if strings.HasPrefix(action, "auth.") {
		return "visitor"
	}
	return portalName
}

// exportNoActor is noActorName as the CSV export writes it: "system" for
// KVPortal itself, the value the actor filter takes.
func exportNoActor(action string) string {
	if n := noActorName(action); n != portalName {
		return n
	}
	return systemActor
}

// detailLabels say what the details that events record beside a request's
// parameters mean. Both spellings of the cloud's request id occur: the
// provisioner records the SDK's "RequestId", older events "request_id".
var detailLabels = map[string]string{
	"code":            "Error code",
	"error_code":      "Error code",
	"message":         "Message",
	"error_message":   "Message",
	"class":           "Kind of error",
	"reason":          "Reason",
	"next_attempt_at": "Next attempt",
	"RequestId":       "Cloud request id",
	"request_id":      "Cloud request id",
	"InstanceId":      "InstanceId",
	"InstanceName":    "InstanceName",
	"policy":          "Decided by the policy rule",
	"preflight":       "Pre-flight",
	"api_token":       "With the API token",
	"expires_at":      "Expires",
	"address":         "From the address",
	"kind":            "What differs",
	"portal":          "In the portal",
	"cloud":           "In the cloud",
	"user":            "User",
	"username":        "Username",
	"user_id":         "User number",
	"session_id":      "Session",
	"sessions":        "Sessions",
	"role":            "Role",
	"from":            "From",
	"to":              "To",
	// A team's limits, and what they were before a change.
	"max_instances":          "Instances at most",
	"max_monthly_spend":      "Monthly spend at most",
	"from_max_instances":     "Instances at most, before",
	"from_max_monthly_spend": "Monthly spend at most, before",
}

// detailOrder is the order the known details are said in; the others
// follow (see detailKeys).
var detailOrder = []string{"attempt", "code", "error_code", "message", "error_message", "class", "reason",
	"next_attempt_at", "InstanceId", "InstanceName", "RequestId", "request_id"}

// detailWords says the details of an event that its sentence does not
// (those not in shown), each as "Label: value": the attempt as "Attempt 2
// of 8", times as yyyy-mm-dd hh:mm:ss UTC, a request's parameters by their
// API names, and any key it does not know spelt as words ("max_attempts"
// becomes "Max attempts"). Values naming a secret are redacted.
func detailWords(d map[string]any, shown map[string]bool) []string {
	d = safeDetails(d)
	done := make(map[string]bool, len(shown)+2)
	for k := range shown {
		done[k] = true
	}
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	var out []string
	say := func(k string) {
		if done[k] {
			return
		}
		done[k] = true
		if k == "attempt" {
			if s := str("attempt"); s != "" {
				if most := str("max_attempts"); most != "" {
					s += " of " + most
				}
				out = append(out, "Attempt "+s)
				done["max_attempts"] = true
			}
			return
		}
		if s := str(k); s != "" {
			out = append(out, detailLabel(k)+": "+detailValue(s))
		}
	}
	for _, k := range detailOrder {
		say(k)
	}
	for _, k := range detailKeys(d, done) {
		say(k)
	}
	return out
}

// detailLabel is what a detail's key means, in words.
func detailLabel(k string) string {
	if l, ok := detailLabels[k]; ok {
		return l
	}
	if _, isParam := domain.ParamByName(k); isParam {
		return k // the API's own name, as the form and the request page show it
	}
	return keyWords(k)
}

// keyWords spells a key as words: "max_attempts" and "maxAttempts" are
// "Max attempts".
func keyWords(k string) string {
	var b strings.Builder
	prev := ' '
	for i, r := range k {
		switch {
		case r == '_' || r == '-' || r == '.':
			r = ' '
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(prev):
			b.WriteRune(' ')
			r = unicode.ToLower(r)
		case i > 0:
			r = unicode.ToLower(r)
		}
		if i == 0 {
			r = unicode.ToUpper(r)
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// detailValue is a detail's value as shown: a time as the pages show exact
// times, anything else as it is.
func detailValue(s string) string {
	if len(s) >= len("2006-01-02T15:04:05Z") && s[4] == '-' && s[10] == 'T' {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return components.Exact(t)
		}
	}
	return s
}
