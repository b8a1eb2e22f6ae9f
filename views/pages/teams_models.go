package pages

import (
	"strconv"
	"time"

	"github.com/kvportal/kvportal/domain"
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
	// of the add-member form; Errors theirs and the settings form's.
	Limits []components.Field
	Member components.Field
	Errors []components.FieldError
	// Settings are the fields of the settings form: the default
	// whitelist, the longest lease and the Slack channel.
	Settings []components.Field
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

// TeamPageView is a team's own page: its instances, their monthly
// estimates and leases, and its spend and instance count against its
// limits.
type TeamPageView struct {
	Now       time.Time
	Name      string
	Members   []string
	Instances []TeamInstanceRow
	// Spend and Count are the bars of the chart.
	Spend Bar
	Count Bar
}

// TeamInstanceRow is one of a team's instances.
type TeamInstanceRow struct {
	I       domain.Instance
	Monthly string // "" when unknown
}

// Bar is one bar of a usage chart: a value against its limit.
type Bar struct {
	Label string
	// Value and Limit in words ("412.50 of 1,000.00", "3 of 10").
	Text string
	// Share is the value over the limit, 0 to 1 and beyond (over the
	// limit); -1 when there is no limit.
	Share float64
}

// Percent is the bar's filled width in per cent of the track (at most
// 100), 0 without a limit.
func (b Bar) Percent() string {
	if b.Share < 0 {
		return "0"
	}
	return strconv.FormatFloat(min(b.Share, 1)*100, 'f', 1, 64)
}

// Over reports a value above its limit.
func (b Bar) Over() bool { return b.Share > 1 }
