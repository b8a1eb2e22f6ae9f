// Package defaults holds the default value (and, where there is one, the
// least value) of each setting that package config reads on behalf of a
// package it configures: the provisioner's workers, attempts and lease, how
// long a failed request keeps its password, the API's rate limit, single
// sign-on's scopes and groups claim.
//
// Each value is written here once and read twice: config fills an unset
// variable with it, and the configured package fills a zero field with it,
// for the callers (tests, the benchmark) that build the package without
// config. It sits here rather than in the configured package so that config
// learns a number without importing that package and all it imports, and
// rather than in domain because how many workers run or how fast a token
// may call are a process's settings, not what a request is. (The lease
// settings are domain's: its own rules read them.) It imports nothing, so
// that any package may read it.
package defaults

import "time"

// The provisioner's settings (PORTAL_PROVISIONER_CONCURRENCY,
// PORTAL_MAX_ATTEMPTS, PORTAL_LEASE_TIMEOUT, PORTAL_RETRY_BASE_DELAY).
const (
	// ProvisionerConcurrency is how many CreateInstance calls run at once.
	ProvisionerConcurrency = 4
	// MaxAttempts is how many attempts a creation gets before a retryable
	// error fails it.
	MaxAttempts = 8
	// LeaseTimeout bounds one provisioning attempt.
	LeaseTimeout = 60 * time.Second
	// MinLeaseTimeout is the shortest LeaseTimeout: an attempt needs time
	// for its call and for recording the outcome.
	MinLeaseTimeout = 5 * time.Second
	// RetryBaseDelay is the wait after the first failed attempt, doubled
	// after each further one.
	RetryBaseDelay = 2 * time.Second
)

// RequeueWindow is how long a failed request keeps its sealed password, so
// that an admin's re-queue can still send it (PORTAL_REQUEUE_WINDOW).
const RequeueWindow = 7 * 24 * time.Hour

// The JSON API's limit per token: APIRate requests a second on average,
// bursts of APIBurst (PORTAL_API_RATE, PORTAL_API_BURST).
const (
	APIRate  = 10
	APIBurst = 20
)

// Single sign-on (PORTAL_OIDC_SCOPES, PORTAL_OIDC_GROUPS_CLAIM).
const (
	// OIDCScopes are the scopes asked for, separated by spaces.
	OIDCScopes = "openid profile email groups"
	// OIDCGroupsClaim names the ID token claim that lists the user's
	// groups.
	OIDCGroupsClaim = "groups"
)
