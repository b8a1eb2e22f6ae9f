package pages

import (
	"time"

	"github.com/kvportal/kvportal/views/components"
)

// TeamsView is the admin's page of teams: usage against limits, members,
// and the forms that change them.
type TeamsView struct {
	Teams  []TeamRow
	Add    []components.Field // name and limits of a new team
	Errors []components.FieldError
}

// TeamRow is one team.
type TeamRow struct {
	ID   int64
	Name string
	// Instances and Spend are what the team's requests not rejected,
	// cancelled or failed add up to; Pending how many of them wait.
	Instances    int
	MaxInstances string // "none" for no limit
	Spend        string
	MaxSpend     string
	Pending      int
	// Over marks usage above a limit (the limit was lowered).
	Over    bool
	Members []string
	// Limits are the fields of the limits form; Member the username field
	// of the add-member form; Errors theirs.
	Limits []components.Field
	Member components.Field
	Errors []components.FieldError
}

// PoliciesView is the policies editor.
type PoliciesView struct {
	// Document is the text in the editor; Error what is wrong with it.
	Document string
	Error    string
	// Version is the version shown (0: none saved yet); Current the one in
	// force.
	Version  int64
	Current  int64
	Versions []PolicyVersionRow
	// Sample is the try-it box's request; Result what the rules say of it,
	// SampleError what is wrong with it.
	Sample      string
	Result      string
	SampleError string
	Keys        []string
	Now         time.Time
}

// PolicyVersionRow is one saved version.
type PolicyVersionRow struct {
	ID     int64
	Author string
	At     time.Time
}
