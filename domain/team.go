package domain

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Team is a group of users whose requests share limits: how many instances
// and how much monthly spend the team's requests may add up to (nil: no
// limit).
type Team struct {
	ID              int64
	Name            string
	MaxInstances    *int
	MaxMonthlySpend *float64
	// MaxLeaseDays, when set, makes a lease required for the team's
	// creations, of at most that many days (and bounds extend_lease).
	MaxLeaseDays *int
	// SlackChannel is the Slack channel id the team's requests are posted
	// to for approval; "" for the portal's default channel.
	SlackChannel string
	CreatedAt    time.Time
}

// SlackChannelRule says in words what ValidSlackChannel accepts.
const SlackChannelRule = "a Slack channel id: C or G followed by capital letters and digits (C0123ABCD; " +
	"in Slack, the channel's details show it at the bottom), or none"

// slackChannelPattern is the teams table's teams_slack_channel_format
// check. Ids, not names: a channel keeps its id when renamed, and
// chat.update takes only the id.
var slackChannelPattern = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

// ValidSlackChannel reports whether s is a Slack channel id
// (SlackChannelRule).
func ValidSlackChannel(s string) bool { return slackChannelPattern.MatchString(s) }

// TeamField is the form field and JSON key naming the team a request is
// for. It is not a CreateInstance parameter (never sent to the cloud), so it
// is not in Table: it travels in an Input beside the parameters.
const TeamField = "Team"

// TeamNameMaxLen is the longest team name, in characters.
const TeamNameMaxLen = 64

// TeamNameRule says in words what ValidTeamName accepts.
var TeamNameRule = "use 1 to " + strconv.Itoa(TeamNameMaxLen) +
	" lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, and not " + NoTeam

// teamNamePattern is the teams table's teams_name_format check.
var teamNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,` + strconv.Itoa(TeamNameMaxLen-1) + `}$`)

// ValidTeamName reports whether s may be a team's name (TeamNameRule).
// NoTeam is left out: it is the team tag of instances of no team.
func ValidTeamName(s string) bool { return s != NoTeam && teamNamePattern.MatchString(s) }

// HoursPerMonth turns an hourly (PostPaid) price into a monthly one.
const HoursPerMonth = 730

// MonthlyPrice is what a price estimate means per month: a PostPaid
// estimate is hourly, a PrePaid one is the total for the period.
func MonthlyPrice(p Params, amount float64) float64 {
	if p.ChargeType == ChargePrePaid && p.Period > 0 {
		return amount / float64(p.Period)
	}
	return amount * HoursPerMonth
}

// Usage is what a team's requests add up to: those not rejected, cancelled
// or failed. Requests without a price estimate count as instances only.
type Usage struct {
	Instances    int
	MonthlySpend float64
}

// Plus is u with one more request of monthly price price (nil: unknown).
func (u Usage) Plus(price *float64) Usage {
	u.Instances++
	if price != nil {
		u.MonthlySpend += *price
	}
	return u
}

// BudgetError is a request refused because its team would go over a limit.
// Its message says which limit and by how much, for the requester.
type BudgetError struct {
	Team    string
	Limit   string // "max-instances" or "max-monthly-spend"
	Message string
}

func (e *BudgetError) Error() string { return e.Message }

// Problem is e as the error beside the Team field (it completes a sentence
// starting with "Team").
func (e *BudgetError) Problem() string { return "is over its " + e.Limit + " limit: " + e.Message }

// Admit checks that u, the team's usage with the request in question
// counted, is within the team's limits.
func (t Team) Admit(u Usage) error {
	if t.MaxInstances != nil && u.Instances > *t.MaxInstances {
		return &BudgetError{Team: t.Name, Limit: "max-instances",
			Message: fmt.Sprintf("%s would have %d of its %d instances", t.Name, u.Instances, *t.MaxInstances)}
	}
	// A cent of rounding is not worth a refusal.
	if t.MaxMonthlySpend != nil && u.MonthlySpend > *t.MaxMonthlySpend+0.005 {
		return &BudgetError{Team: t.Name, Limit: "max-monthly-spend",
			Message: fmt.Sprintf("%s would spend %s a month of its %s (%s over)", t.Name,
				Money(u.MonthlySpend), Money(*t.MaxMonthlySpend), Money(u.MonthlySpend-*t.MaxMonthlySpend))}
	}
	return nil
}

// Money writes an amount with two decimals.
func Money(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// LimitText writes a limit for people: "none" when there is none.
func LimitText[T int | float64](v *T) string {
	if v == nil {
		return "none"
	}
	switch x := any(*v).(type) {
	case float64:
		return Money(x)
	case int:
		return strconv.Itoa(x)
	}
	return ""
}

// ParseLimit reads a limit as typed: "" or "none" for none, otherwise a
// number that is not negative.
func ParseLimit[T int | float64](s string) (*T, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	var v T
	switch p := any(&v).(type) {
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a whole number of 0 or more (or none)", s)
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f != f || f > 1e12 {
			return nil, fmt.Errorf("%q is not an amount of 0 or more (or none)", s)
		}
		*p = f
	}
	return &v, nil
}
