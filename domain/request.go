package domain

import "time"

// Request is one request for an instance, as stored.
type Request struct {
	ID int64
	// Kind is what the request asks: a creation, or a change of the
	// instance InstanceID names from the start.
	Kind RequestKind
	// Change is what a change asks, as validated (never its password); a
	// creation's holds the whitelist to set once its instance is Normal.
	Change         Change
	RequesterID    int64
	RequesterName  string
	Status         Status
	Params         Params // Password always empty: see PasswordSet
	PasswordSet    bool
	PasswordSealed []byte // only filled by StartAttempt, for the attempt's call
	DecidedBy      *int64
	DeciderName    string
	DecidedAt      *time.Time
	DecisionReason string
	// DecidedByRule is the policy rule that approved the request at
	// submission, of the policies' version PolicyVersion; "" when a person
	// decided.
	DecidedByRule string
	PolicyVersion *int64
	// TeamID and Team are the requester's team the request belongs to; nil
	// and "" for a requester in no team.
	TeamID *int64
	Team   string
	// MonthlyPrice is the price estimate per month at submission; nil when
	// the cloud gave none.
	MonthlyPrice   *float64
	Attempts       int
	NextAttemptAt  *time.Time
	InstanceID     string
	ResultName     string
	InstanceStatus string
	Result         map[string]any
	ErrorCode      string
	ErrorMessage   string
	ErrorRequestID string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
	// Where to connect, once the cloud reports it ("" and 0 until then);
	// PrivateAddress only for a VPC instance.
	ConnectionDomain string
	ConnectionPort   int
	PrivateAddress   string
	// Preflight is how the submission's dry run went: PreflightPassed,
	// PreflightSkipped, or "" for a request submitted before they existed.
	Preflight string
	// ReleaseAfter is the lease asked for with a creation: when the portal
	// releases the instance; nil for none.
	ReleaseAfter *time.Time
	// PasswordKeptUntil is when a failed request's sealed password is
	// erased; nil when none is kept.
	PasswordKeptUntil *time.Time
}

// PasswordErased reports whether a failed request had a password that is
// no longer kept at now: its re-queue window ended (or it failed before
// windows existed), so only its requester can retry it, with a new one.
// A failed request with a kept password, or with none ever, is an admin's
// to re-queue.
func (r *Request) PasswordErased(now time.Time) bool {
	return r.PasswordSet && (r.PasswordKeptUntil == nil || !r.PasswordKeptUntil.After(now))
}
