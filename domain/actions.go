package domain

// Actions recorded in the audit trail.
const (
	ActionRequestSubmitted = "request.submitted"
	ActionRequestApproved  = "request.approved"
	ActionRequestRejected  = "request.rejected"
	ActionRequestCancelled = "request.cancelled"
	ActionRequestRequeued  = "request.requeued"
	// ActionRequestRetried: the requester sent a failed request, whose
	// password had been erased, back with a new password.
	ActionRequestRetried = "request.retried"
	// ActionPasswordErased: a failed request's re-queue window ended and its
	// sealed password was erased.
	ActionPasswordErased = "request.password_erased"
	ActionAttemptStarted = "provision.attempt_started"
	ActionAttemptFailed  = "provision.attempt_failed"
	// ActionAttemptInterrupted records a provisioning attempt cut short by
	// the provisioner shutting down: not a failure, the request is approved
	// again and the attempt is not counted.
	ActionAttemptInterrupted = "provision.attempt_interrupted"
	ActionSucceeded          = "provision.succeeded"
	// ActionLeaseExpiring: a lease ends within a week, or a day.
	ActionLeaseExpiring = "instance.lease_expiring"
	// ActionLeaseEnded: a subscription's lease ended: its auto-renewal was
	// turned off (a pay-as-you-go instance gets a release request instead).
	ActionLeaseEnded = "instance.lease_ended"
	// ActionChangeApplied: the cloud made a change request's change.
	ActionChangeApplied = "change.applied"
	// ActionScheduledResize: a resize ordered for the maintenance window
	// took effect there (the cloud reports the class it was ordered to).
	ActionScheduledResize = "instance.resized"
	ActionFailed          = "provision.failed"
	ActionInstanceStatus  = "instance.status"
	// ActionInstanceDrifted: a drift check found an instance that differs
	// from the portal's record (or that the portal has no record of).
	ActionInstanceDrifted = "instance.drifted"
	ActionUserCreated     = "user.created"
	ActionUserRoleChanged = "user.role_changed"
	ActionUserDisabled    = "user.disabled"
	ActionUserEnabled     = "user.enabled"
	ActionLogin           = "auth.login"
	ActionLoginFailed     = "auth.login_failed"
	ActionLogout          = "auth.logout"
	// ActionSessionEnded: a user ended one of their own sessions.
	ActionSessionEnded = "auth.session_ended"
	// ActionSessionsEnded: several of a user's sessions were ended at once,
	// by the user (all but the current one) or by an admin.
	ActionSessionsEnded = "auth.sessions_ended"
	// ActionPasswordChanged: a user's password was set anew (sessions end).
	ActionPasswordChanged = "user.password_changed"
	// ActionSSOLogin: a user signed in through the identity provider.
	ActionSSOLogin = "auth.sso_login"
	// ActionSSORefused: the identity provider signed someone in, but the
	// portal refused them (no mapped group, or a disabled user).
	ActionSSORefused   = "auth.sso_refused"
	ActionTokenCreated = "token.created"
	ActionTokenRevoked = "token.revoked"
	// Teams, their limits and members; the approval policies.
	ActionTeamCreated       = "team.created"
	ActionTeamLimitsChanged = "team.limits_changed"
	// ActionTeamWhitelistChanged: the whitelist that prefills the team's
	// creation forms changed.
	ActionTeamWhitelistChanged = "team.whitelist_changed"
	ActionTeamMemberAdded      = "team.member_added"
	ActionTeamMemberRemoved    = "team.member_removed"
	ActionPoliciesSaved        = "policies.saved"
	// ActionTeamSlackChannelChanged: the Slack channel the team's requests
	// are posted to for approval changed.
	ActionTeamSlackChannelChanged = "team.slack_channel_changed"
	// ActionSlackLinked and ActionSlackUnlinked: a user linked their Slack
	// account (their clicks in Slack then act as them), or ended the link.
	ActionSlackLinked   = "user.slack_linked"
	ActionSlackUnlinked = "user.slack_unlinked"
)
