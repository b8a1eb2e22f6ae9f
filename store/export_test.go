package store

// The follow sweep's statement and its settings, for a test that reads
// its plan.
var (
	FollowSettings = followSettings
	FollowSQL      = followSQL
)
