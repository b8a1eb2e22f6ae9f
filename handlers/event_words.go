package handlers

import (
	"strings"
	"time"

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
	if op := e.Details.String(domain.KeyOperator); op != "" {
		return op + " (console)"
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

// detailWords says the details of an event that its sentence does not
// (those not in shown), each as "Label: value" (domain.DetailKey.Label):
// the attempt as "Attempt 2 of 8", times as yyyy-mm-dd hh:mm:ss UTC, a
// request's parameters first, by their API names. Values naming a secret
// are redacted.
func detailWords(d domain.Details, shown map[domain.DetailKey]bool) []string {
	d = safeDetails(d)
	done := make(map[domain.DetailKey]bool, len(shown)+2)
	for k := range shown {
		done[k] = true
	}
	var out []string
	say := func(k domain.DetailKey) {
		if done[k] {
			return
		}
		done[k] = true
		s := d.String(k)
		switch {
		case s == "":
		case k == domain.KeyAttempt:
			if most := d.String(domain.KeyMaxAttempts); most != "" {
				s += " of " + most
			}
			out = append(out, "Attempt "+s)
			done[domain.KeyMaxAttempts] = true
		default:
			out = append(out, k.Label()+": "+detailValue(s))
		}
	}
	for _, k := range domain.DetailOrder {
		say(k)
	}
	for _, k := range detailKeys(d, done) {
		say(k)
	}
	return out
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
