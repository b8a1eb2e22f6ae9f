package admin

import (
	"context"
	"errors"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// The fields of the team steps, as the teams page names its inputs.
const (
	FieldTeamName     = "name"
	FieldMaxInstances = "max_instances"
	FieldMaxSpend     = "max_monthly_spend"
	FieldMember       = "username"
)

// Limits are a team's limits as typed: "" or "none" for no limit. A nil
// field keeps the team's limit as it is (a command that names only one).
type Limits struct {
	MaxInstances *string
	MaxSpend     *string
}

// parse reads the limits given, keeping old's where a field is nil.
func (l Limits) parse(old domain.Team, errs domain.FieldErrors) (*int, *float64) {
	maxInst, maxSpend := old.MaxInstances, old.MaxMonthlySpend
	if l.MaxInstances != nil {
		v, err := domain.ParseLimit[int](*l.MaxInstances)
		if err != nil {
			errs[FieldMaxInstances] = "must be a whole number of 0 or more, or empty for no limit"
		}
		maxInst = v
	}
	if l.MaxSpend != nil {
		v, err := domain.ParseLimit[float64](*l.MaxSpend)
		if err != nil {
			errs[FieldMaxSpend] = "must be an amount of 0 or more, or empty for no limit"
		}
		maxSpend = v
	}
	return maxInst, maxSpend
}

// CreateTeam adds a team named name with limits, and its team.created
// event.
func (a *Admin) CreateTeam(ctx context.Context, by *int64, name string, l Limits) (domain.Team, domain.FieldErrors, error) {
	errs := domain.FieldErrors{}
	name, problem := text(name)
	switch {
	case problem != "":
		errs[FieldTeamName] = problem
	case !domain.ValidTeamName(name):
		errs[FieldTeamName] = "is not valid: " + domain.TeamNameRule
	}
	maxInst, maxSpend := l.parse(domain.Team{}, errs)
	if len(errs) > 0 {
		return domain.Team{}, errs, nil
	}
	t, err := a.Store.CreateTeam(ctx, name, maxInst, maxSpend, by)
	if errors.Is(err, store.ErrDuplicate) {
		return domain.Team{}, domain.FieldErrors{FieldTeamName: "is taken: " + name + " already exists"}, nil
	}
	return t, nil, err
}

// Team finds a team by its name.
func (a *Admin) Team(ctx context.Context, name string) (domain.Team, error) {
	name, problem := text(name)
	if problem != "" || !domain.ValidTeamName(name) {
		return domain.Team{}, ErrNoTeam
	}
	t, err := a.Store.TeamByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Team{}, ErrNoTeam
	}
	return t, err
}

// TeamByID finds a team by its number.
func (a *Admin) TeamByID(ctx context.Context, id int64) (domain.Team, error) {
	t, err := a.Store.TeamByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Team{}, ErrNoTeam
	}
	return t, err
}

// SetTeamLimits changes the limits of team t that l gives, with its
// team.limits_changed event.
func (a *Admin) SetTeamLimits(ctx context.Context, by *int64, t domain.Team, l Limits) (domain.Team, domain.FieldErrors, error) {
	errs := domain.FieldErrors{}
	maxInst, maxSpend := l.parse(t, errs)
	if len(errs) > 0 {
		return t, errs, nil
	}
	t, err := a.Store.SetTeamLimits(ctx, t.ID, maxInst, maxSpend, by)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Team{}, nil, ErrNoTeam
	}
	return t, nil, err
}

// AddMember puts the user named username in team t; RemoveMember takes
// them out. Each writes its event; a user already in (or not in) the team
// is a field error, and nothing is changed.
func (a *Admin) AddMember(ctx context.Context, by *int64, t domain.Team, username string) (store.User, domain.FieldErrors, error) {
	return a.membership(ctx, by, t, username, true)
}

// RemoveMember takes the user named username out of team t.
func (a *Admin) RemoveMember(ctx context.Context, by *int64, t domain.Team, username string) (store.User, domain.FieldErrors, error) {
	return a.membership(ctx, by, t, username, false)
}

func (a *Admin) membership(ctx context.Context, by *int64, t domain.Team, username string, add bool) (store.User, domain.FieldErrors, error) {
	u, problem, err := a.userNamed(ctx, username)
	if err != nil {
		return store.User{}, nil, err
	}
	if problem != "" {
		return store.User{}, domain.FieldErrors{FieldMember: problem}, nil
	}
	if add {
		err = a.Store.AddMember(ctx, t.ID, u.ID, by)
	} else {
		err = a.Store.RemoveMember(ctx, t.ID, u.ID, by)
	}
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return u, domain.FieldErrors{FieldMember: "is already in " + t.Name}, nil
	case errors.Is(err, store.ErrNotFound):
		return u, domain.FieldErrors{FieldMember: "is not in " + t.Name}, nil
	}
	return u, nil, err
}

// userNamed finds the user a form or a flag names, or says why the name
// is no user's: a name no user could have never reaches the database.
func (a *Admin) userNamed(ctx context.Context, username string) (store.User, string, error) {
	username, problem := text(username)
	if problem != "" {
		return store.User{}, problem, nil
	}
	if !store.ValidUsername(username) {
		return store.User{}, "is not a user: type the username of an existing user", nil
	}
	u, err := a.Store.UserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, "is not a user: type the username of an existing user", nil
	}
	return u, "", err
}

// FieldWhitelist is the team's default whitelist field.
const FieldWhitelist = "default_whitelist"

// SetTeamWhitelist sets the whitelist that prefills the creation form of
// team t's requests: IPv4 or IPv6 addresses or CIDR blocks, comma-separated
// (the whitelist's rules); "" or "none" for none. Its event is
// team.whitelist_changed.
func (a *Admin) SetTeamWhitelist(ctx context.Context, by *int64, t domain.Team, ips string) (domain.FieldErrors, error) {
	ips, problem := ParseWhitelist(ips)
	if problem != "" {
		return domain.FieldErrors{FieldWhitelist: problem}, nil
	}
	err := a.Store.SetTeamWhitelist(ctx, t.ID, ips, by)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoTeam
	}
	return nil, err
}

// ParseWhitelist reads a team's default whitelist as typed: "" or "none"
// for none, else the whitelist's rules; the list as stored, or what is
// wrong with it.
func ParseWhitelist(s string) (string, string) {
	s, problem := text(s)
	switch {
	case problem != "":
		return "", problem
	case s == "" || s == "none":
		return "", ""
	}
	return domain.ParseSecurityIps(s)
}

// FieldMaxLease is the team's longest lease field.
const FieldMaxLease = "max_lease_days"

// ParseMaxLease reads a team's longest lease as typed: a whole number of
// days, 1 or more; "" or "none" for none (no lease required).
func ParseMaxLease(s string) (*int, string) {
	s, problem := text(s)
	if problem != "" {
		return nil, problem
	}
	if s == "" || s == "none" {
		return nil, ""
	}
	v, err := domain.ParseLimit[int](s)
	if err != nil || v == nil || *v < 1 {
		return nil, "must be a whole number of days, 1 or more, or none"
	}
	return v, ""
}

// SetTeamMaxLease sets team t's longest lease: its creations then need a
// lease of at most that many days, and extend_lease stays within it. Its
// event is team.limits_changed.
func (a *Admin) SetTeamMaxLease(ctx context.Context, by *int64, t domain.Team, typed string) (domain.Team, domain.FieldErrors, error) {
	days, problem := ParseMaxLease(typed)
	if problem != "" {
		return t, domain.FieldErrors{FieldMaxLease: problem}, nil
	}
	t, err := a.Store.SetTeamMaxLease(ctx, t.ID, days, by)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Team{}, nil, ErrNoTeam
	}
	return t, nil, err
}

// FieldSlackChannel is the team's Slack channel field.
const FieldSlackChannel = "slack_channel"

// ParseSlackChannel reads a team's Slack channel as typed: "" or "none"
// for none (the portal's default channel), else a channel id; the channel
// as stored, or what is wrong with it.
func ParseSlackChannel(s string) (string, string) {
	s, problem := text(s)
	switch {
	case problem != "":
		return "", problem
	case s == "" || s == "none":
		return "", ""
	case !domain.ValidSlackChannel(s):
		return "", "must be " + domain.SlackChannelRule
	}
	return s, ""
}

// SetTeamSlackChannel sets the Slack channel team t's requests are posted
// to for approval, overriding the portal's default one; "" or "none" for
// the default. Its event is team.slack_channel_changed.
func (a *Admin) SetTeamSlackChannel(ctx context.Context, by *int64, t domain.Team, typed string) (domain.Team, domain.FieldErrors, error) {
	channel, problem := ParseSlackChannel(typed)
	if problem != "" {
		return t, domain.FieldErrors{FieldSlackChannel: problem}, nil
	}
	t, err := a.Store.SetTeamSlackChannel(ctx, t.ID, channel, by)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Team{}, nil, ErrNoTeam
	}
	return t, nil, err
}

// TeamSettings are a team's settings beside its limits, as typed (the
// team steps' rules: ParseWhitelist, ParseMaxLease, ParseSlackChannel). A
// nil field keeps the team's as it is.
type TeamSettings struct {
	DefaultWhitelist *string
	MaxLeaseDays     *string
	SlackChannel     *string
}

// Check says what is wrong with each setting given, so that nothing is
// stored unless every one is right (a new team included).
func (s TeamSettings) Check() domain.FieldErrors {
	errs := domain.FieldErrors{}
	if s.DefaultWhitelist != nil {
		if _, problem := ParseWhitelist(*s.DefaultWhitelist); problem != "" {
			errs[FieldWhitelist] = problem
		}
	}
	if s.MaxLeaseDays != nil {
		if _, problem := ParseMaxLease(*s.MaxLeaseDays); problem != "" {
			errs[FieldMaxLease] = problem
		}
	}
	if s.SlackChannel != nil {
		if _, problem := ParseSlackChannel(*s.SlackChannel); problem != "" {
			errs[FieldSlackChannel] = problem
		}
	}
	return errs
}

// SetTeamSettings sets the settings given of team t once all of them are
// right, each with its own event when it changed: the teams page's
// settings form and `portal teams set` both.
func (a *Admin) SetTeamSettings(ctx context.Context, by *int64, t domain.Team, s TeamSettings) (domain.Team, domain.FieldErrors, error) {
	if errs := s.Check(); len(errs) > 0 {
		return t, errs, nil
	}
	var errs domain.FieldErrors
	var err error
	if s.MaxLeaseDays != nil {
		if t, errs, err = a.SetTeamMaxLease(ctx, by, t, *s.MaxLeaseDays); err != nil || len(errs) > 0 {
			return t, errs, err
		}
	}
	if s.SlackChannel != nil {
		if t, errs, err = a.SetTeamSlackChannel(ctx, by, t, *s.SlackChannel); err != nil || len(errs) > 0 {
			return t, errs, err
		}
	}
	if s.DefaultWhitelist != nil {
		if errs, err = a.SetTeamWhitelist(ctx, by, t, *s.DefaultWhitelist); err != nil || len(errs) > 0 {
			return t, errs, err
		}
	}
	return t, nil, nil
}
