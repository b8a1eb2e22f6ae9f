package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// DetailKey names one detail of an audit event. The writers of events
// (store, auth, the provisioner) and their readers (the timeline, the audit
// page, the CSV export, the webhooks) use these constants, so that a key is
// spelt once. A request's parameters are recorded under their API names
// (Param.Name) beside these.
type DetailKey string

// Details are an audit event's details, by key. They never hold a secret.
type Details map[DetailKey]any

// String returns the detail's value as text, "" when it is missing.
func (d Details) String(k DetailKey) string {
	if v, ok := d[k]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// The detail keys events record.
const (
	KeyUsername  DetailKey = "username"
	KeyUserID    DetailKey = "user_id"
	KeyRole      DetailKey = "role"
	KeyFrom      DetailKey = "from"
	KeyTo        DetailKey = "to"
	KeySource    DetailKey = "source"
	KeyIssuer    DetailKey = "issuer"
	KeySubject   DetailKey = "subject"
	KeyGroups    DetailKey = "groups"
	KeyAddress   DetailKey = "address"
	KeyReason    DetailKey = "reason"
	KeySessionID DetailKey = "session_id"
	KeySessions  DetailKey = "sessions"
	KeyAPIToken  DetailKey = "api_token"
	// KeyOperator is the account that ran a console command (no signed-in
	// user takes those steps).
	KeyOperator    DetailKey = "operator"
	KeyUser        DetailKey = "user"
	KeyExpiresAt   DetailKey = "expires_at"
	KeyTeam        DetailKey = "team"
	KeyTeamID      DetailKey = "team_id"
	KeyMaxInst     DetailKey = "max_instances"
	KeyMaxSpend    DetailKey = "max_monthly_spend"
	KeyFromMaxInst DetailKey = "from_max_instances"
	KeyFromSpend   DetailKey = "from_max_monthly_spend"
	KeyPolicy      DetailKey = "policy"
	KeyPolicyRule  DetailKey = "policy_rule"
	KeyPolicyVer   DetailKey = "policy_version"
	KeyRules       DetailKey = "rules"
	KeyPreflight   DetailKey = "preflight"
	KeyMonthly     DetailKey = "monthly_price"
	KeyAttempt     DetailKey = "attempt"
	KeyMaxAttempts DetailKey = "max_attempts"
	KeyCode        DetailKey = "code"
	KeyErrorCode   DetailKey = "error_code"
	KeyMessage     DetailKey = "message"
	KeyErrorMsg    DetailKey = "error_message"
	KeyClass       DetailKey = "class"
	KeyNextAttempt DetailKey = "next_attempt_at"
	// KeyCloudRequestID is the cloud's id of a call, as the SDK spells it;
	// older events spell it KeyOldRequestID.
	KeyCloudRequestID DetailKey = "RequestId"
	KeyOldRequestID   DetailKey = "request_id"
	KeyInstanceID     DetailKey = "InstanceId"
	KeyInstanceName   DetailKey = "InstanceName"
	KeyRegionID       DetailKey = "RegionId"
	// A drift finding: what differs, and its value on each side.
	KeyDriftKind   DetailKey = "kind"
	KeyDriftPortal DetailKey = "portal"
	KeyDriftCloud  DetailKey = "cloud"
	// KeyFoundByTag says that a request's instance was found by its
	// kvportal:request tag after an answer was lost.
	KeyFoundByTag DetailKey = "found_by_tag"
	// What a request of a kind other than create asks, and what it
	// replaces; operation is the cloud call an attempt makes.
	KeyKind            DetailKey = "Kind"
	KeyOperation       DetailKey = "operation"
	KeySecurityIps     DetailKey = "SecurityIps"
	KeyFromSecurityIps DetailKey = "from_SecurityIps"
	KeyInstanceClass   DetailKey = "InstanceClass"
	KeyFromClass       DetailKey = "from_InstanceClass"
	KeyEffectiveTime   DetailKey = "EffectiveTime"
	KeyOrderType       DetailKey = "OrderType"
	KeyMaxLease        DetailKey = "max_lease_days"
	KeyFromMaxLease    DetailKey = "from_max_lease_days"
	KeyReleaseAfter    DetailKey = "ReleaseAfter"
	KeyLeaseEnd        DetailKey = "lease_end"
	KeyLeft            DetailKey = "left"
	KeyPeriod          DetailKey = "Period"
	KeyEndTime         DetailKey = "EndTime"
	// KeyVia names the interface other than the portal's own a step was
	// taken through ("slack": a button in a Slack message).
	KeyVia DetailKey = "via"
	// KeySlackUser is a Slack member id (a user's linked account), and
	// KeySlackChannel a Slack channel id.
	KeySlackUser    DetailKey = "slack_user"
	KeySlackChannel DetailKey = "slack_channel"
)

// detailLabels say what the details mean, in words. Keys not here are
// spelt as words by their name (DetailKey.Label).
var detailLabels = map[DetailKey]string{
	KeyCode: "Error code", KeyErrorCode: "Error code", KeyMessage: "Message", KeyErrorMsg: "Message",
	KeyClass: "Kind of error", KeyReason: "Reason", KeyNextAttempt: "Next attempt",
	KeyCloudRequestID: "Cloud request id", KeyOldRequestID: "Cloud request id",
	KeyInstanceID: "InstanceId", KeyInstanceName: "InstanceName",
	KeyPolicy: "Decided by the policy rule", KeyPreflight: "Pre-flight", KeyAPIToken: "With the API token", KeyOperator: "At the console, as",
	KeyExpiresAt: "Expires", KeyAddress: "From the address", KeyDriftKind: "What differs",
	KeyDriftPortal: "In the portal", KeyDriftCloud: "In the cloud", KeyUser: "User", KeyUsername: "Username",
	KeyUserID: "User number", KeySessionID: "Session", KeySessions: "Sessions", KeyRole: "Role",
	KeyFrom: "From", KeyTo: "To",
	KeyMaxInst: "Instances at most", KeyMaxSpend: "Monthly spend at most",
	KeyFromMaxInst: "Instances at most, before", KeyFromSpend: "Monthly spend at most, before",
	KeyFoundByTag: "Found by its tag",
	KeyKind:       "Kind of request", KeyOperation: "Cloud call", KeyFromSecurityIps: "Whitelist before",
	KeyFromClass: "Class before",
	KeyMaxLease:  "Longest lease, days", KeyFromMaxLease: "Longest lease before, days", KeyLeaseEnd: "Lease ends",
	KeyVia: "Through", KeySlackUser: "Slack member", KeySlackChannel: "Slack channel",
}

// DetailOrder is the order the best known details are said in; the others
// follow, a request's parameters first.
var DetailOrder = []DetailKey{KeyAttempt, KeyCode, KeyErrorCode, KeyMessage, KeyErrorMsg, KeyClass, KeyReason,
	KeyNextAttempt, KeyInstanceID, KeyInstanceName, KeyCloudRequestID, KeyOldRequestID}

// Label is what a detail means, in words: its own label, a parameter's API
// name as the form shows it, or its name spelt as words ("max_attempts" is
// "Max attempts").
func (k DetailKey) Label() string {
	if l, ok := detailLabels[k]; ok {
		return l
	}
	if _, isParam := ParamByName(string(k)); isParam {
		return string(k)
	}
	return keyWords(string(k))
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
		case 'A' <= r && r <= 'Z' && i > 0 && 'a' <= prev && prev <= 'z':
			b.WriteRune(' ')
			r += 'a' - 'A'
		case i > 0 && 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		}
		if i == 0 && 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// ActionInfo is what the audit trail says about one action.
type ActionInfo struct {
	Action string
	// Says is the sentence whose subject is the actor. "{key}" puts a
	// detail's value in, "{key!q}" the value quoted, "{key#noun}" the
	// value with the noun counted ("2 sessions"); a part in [brackets] is
	// left out when a detail it names is missing.
	Says string
	// Status is the state the event moved its request to, shown as the
	// event's badge; "" for none.
	Status Status
	// Covers are details the sentence covers without naming them (the
	// user's number beside their name): they are not listed below it.
	Covers []DetailKey
	// Parameters: the details are the request's parameters, which the
	// request's page shows above its timeline.
	Parameters bool
}

// actionTable is every action of the audit trail, in the order filters
// list them. A new action is one entry here and its writer.
var actionTable = []ActionInfo{
	{Action: ActionRequestSubmitted, Says: "submitted the request", Status: StatusPendingApproval, Parameters: true},
	{Action: ActionRequestApproved, Says: "approved", Status: StatusApproved},
	{Action: ActionRequestRejected, Says: "rejected", Status: StatusRejected},
	{Action: ActionRequestCancelled, Says: "cancelled the request", Status: StatusCancelled},
	{Action: ActionRequestRequeued, Says: "re-queued the request", Status: StatusApproved},
	{Action: ActionRequestRetried, Says: "retried the request with a new password", Status: StatusApproved},
	{Action: ActionPasswordErased, Says: "erased the kept instance password"},
	{Action: ActionAttemptStarted, Says: "started a {operation|CreateInstance} attempt", Status: StatusProvisioning},
	{Action: ActionAttemptFailed, Says: "saw an attempt fail; it will retry with the same token"},
	{Action: ActionAttemptInterrupted, Says: "had an attempt cut short by a shutdown; it runs again, not counted", Status: StatusApproved},
	{Action: ActionSucceeded, Says: "created the instance", Status: StatusSucceeded},
	{Action: ActionChangeApplied, Says: "made the change[ ({operation})]", Status: StatusSucceeded},
	{Action: ActionFailed, Says: "gave up: the request failed", Status: StatusFailed},
	{Action: ActionScheduledResize, Says: "saw the resize of {InstanceId} to {InstanceClass} take effect in its maintenance window[ (it was {from_InstanceClass})]"},
	{Action: ActionInstanceStatus, Says: "saw the instance status change[ to {to}][ (it was {from})]"},
	{Action: ActionLeaseExpiring, Says: "warned that the lease of {InstanceId} ends at {lease_end}[ ({left} left)]"},
	{Action: ActionLeaseEnded, Says: "turned auto-renewal off as the lease of {InstanceId} ended: it ends at its EndTime[ {EndTime}]"},
	{Action: ActionInstanceDrifted, Says: "found the instance no longer as the portal made it"},
	{Action: ActionUserCreated, Says: "created user {username} ({role})", Covers: []DetailKey{KeyUserID}},
	{Action: ActionUserRoleChanged, Says: "changed the role of {username} from {from} to {to}", Covers: []DetailKey{KeyUserID}},
	{Action: ActionUserDisabled, Says: "disabled user {username}", Covers: []DetailKey{KeyUserID}},
	{Action: ActionUserEnabled, Says: "enabled user {username}", Covers: []DetailKey{KeyUserID}},
	{Action: ActionLogin, Says: "signed in", Covers: []DetailKey{KeyUsername}},
	{Action: ActionLoginFailed, Says: "failed sign-in as {username!q}"},
	{Action: ActionLogout, Says: "signed out", Covers: []DetailKey{KeyUsername}},
	{Action: ActionSessionEnded, Says: "ended a session of {username}", Covers: []DetailKey{KeyUserID, KeySessionID}},
	{Action: ActionSessionsEnded, Says: "ended {sessions#session} of {username}", Covers: []DetailKey{KeyUserID}},
	{Action: ActionPasswordChanged, Says: "set a new password for {username}", Covers: []DetailKey{KeyUserID}},
	{Action: ActionSSOLogin, Says: "signed in through the identity provider", Covers: []DetailKey{KeyUsername}},
	{Action: ActionSSORefused, Says: "was refused after signing in through the identity provider as {username!q}"},
	{Action: ActionTokenCreated, Says: "created the API token {api_token!q} of {user}"},
	{Action: ActionTokenRevoked, Says: "revoked the API token {api_token!q} of {user}"},
	{Action: ActionTeamCreated, Says: "created team {team}", Covers: []DetailKey{KeyTeamID}},
	{Action: ActionTeamLimitsChanged, Says: "changed the limits of team {team}", Covers: []DetailKey{KeyTeamID}},
	{Action: ActionTeamWhitelistChanged, Says: "set the default whitelist of team {team}[ to {to}]", Covers: []DetailKey{KeyTeamID}},
	{Action: ActionTeamMemberAdded, Says: "added {username} to team {team}", Covers: []DetailKey{KeyTeamID, KeyUserID}},
	{Action: ActionTeamMemberRemoved, Says: "removed {username} from team {team}", Covers: []DetailKey{KeyTeamID, KeyUserID}},
	{Action: ActionPoliciesSaved, Says: "saved the approval policies, version {policy_version}"},
	{Action: ActionTeamSlackChannelChanged, Says: "set the Slack channel of team {team}[ to {to}]", Covers: []DetailKey{KeyTeamID}},
	{Action: ActionSlackLinked, Says: "linked the Slack account {slack_user} to {username}", Covers: []DetailKey{KeyUserID}},
	{Action: ActionSlackUnlinked, Says: "ended the link of {username} with the Slack account {slack_user}", Covers: []DetailKey{KeyUserID}},
}

// actionIndex finds an action's entry in actionTable.
var actionIndex = func() map[string]int {
	m := make(map[string]int, len(actionTable))
	for i, a := range actionTable {
		m[a.Action] = i
	}
	return m
}()

// Actions lists the actions that appear in the audit trail, for filters.
func Actions() []string {
	out := make([]string, len(actionTable))
	for i, a := range actionTable {
		out[i] = a.Action
	}
	return out
}

// ActionOf returns what the audit trail says about action; an action it
// does not know says its own name.
func ActionOf(action string) ActionInfo {
	if i, ok := actionIndex[action]; ok {
		return actionTable[i]
	}
	return ActionInfo{Action: action, Says: action}
}

// Sentence is the event's sentence with d's values put in, and the
// details it said or covers (not to be listed again).
func (a ActionInfo) Sentence(d Details) (string, map[DetailKey]bool) {
	said := make(map[DetailKey]bool, len(a.Covers)+2)
	for _, k := range a.Covers {
		said[k] = true
	}
	var b strings.Builder
	s := a.Says
	for s != "" {
		i := strings.IndexAny(s, "[{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		if s[i] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteString(s[i:])
				break
			}
			v, _ := fill(s[i+1:i+end], d, said)
			b.WriteString(v)
			s = s[i+end+1:]
			continue
		}
		end := strings.IndexByte(s[i:], ']')
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		part, ok := a.optional(s[i+1:i+end], d, said)
		if ok {
			b.WriteString(part)
		}
		s = s[i+end+1:]
	}
	return b.String(), said
}

// optional fills a [bracketed] part: ok false when a detail it names is
// missing, and then nothing of it counts as said.
func (a ActionInfo) optional(part string, d Details, said map[DetailKey]bool) (string, bool) {
	mine := map[DetailKey]bool{}
	var b strings.Builder
	for part != "" {
		i := strings.IndexByte(part, '{')
		end := strings.IndexByte(part, '}')
		if i < 0 || end < i {
			b.WriteString(part)
			break
		}
		b.WriteString(part[:i])
		v, ok := fill(part[i+1:end], d, mine)
		if !ok {
			return "", false
		}
		b.WriteString(v)
		part = part[end+1:]
	}
	for k := range mine {
		said[k] = true
	}
	return b.String(), true
}

// fill is the value of one {placeholder}, and whether the detail is there.
func fill(spec string, d Details, said map[DetailKey]bool) (string, bool) {
	key, noun, counted := strings.Cut(spec, "#")
	key, quoted := strings.CutSuffix(key, "!q")
	// "{key|word}" says word when the detail is missing: events written
	// before the detail existed read as they did.
	key, otherwise, _ := strings.Cut(key, "|")
	k := DetailKey(key)
	v := d.String(k)
	said[k] = true
	switch {
	case v == "" && otherwise != "":
		return otherwise, true
	case v == "":
		return "", false
	case quoted:
		return strconv.Quote(v), true
	case counted:
		return Count(v, noun), true
	}
	return v, true
}

// Count says n of a noun with the noun's plural when n is not 1: "1
// session", "3 sessions", "0 findings". n is a number as text.
func Count(n, noun string) string {
	if n == "1" {
		return n + " " + noun
	}
	return n + " " + noun + "s"
}
