package domain

import "time"

// Request is one request for an instance, as stored.
type Request struct {
	ID             int64
	RequesterID    int64
	RequesterName  string
	Status         Status
	Params         Params // Password always empty: see PasswordSet
	PasswordSet    bool
	PasswordSealed []byte // only filled by RequestForProvisioning
	DecidedBy      *int64
	DeciderName    string
	DecidedAt      *time.Time
	DecisionReason string
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
	// PasswordKeptUntil is when a failed request's sealed password is
	// erased; nil when none is kept.
	PasswordKeptUntil *time.Time
}
