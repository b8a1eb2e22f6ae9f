// Package pages holds KVPortal's screens. Each takes a view model that the
// handlers fill in; the templates only lay it out.
package pages

import (
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
)

// LoginView is the sign-in page.
type LoginView struct {
	Username string
	Next     string
	Error    string
	// UsernameError and PasswordError say what makes a typed value
	// impossible (a control character), beside its field.
	UsernameError, PasswordError string
	// SSO offers "Sign in with SSO"; Local offers the password form.
	SSO, Local bool
}

// NoAccessView is the page of someone signed in by the identity provider
// whose groups give no role: the name and groups it gave.
type NoAccessView struct {
	Name   string
	Groups []string
}

// ErrorView is the page of an error.
type ErrorView struct {
	Status    int
	Title     string
	Message   string
	RequestID string
	SignIn    bool // offer a sign-in link
}

// FieldGroup is a titled group of form fields.
type FieldGroup struct {
	ID          string
	Title       string
	Description string
	Fields      []components.Field
	// Folded groups are shown closed, and Open when a field holds a value
	// or an error.
	Folded, Open bool
}

// SummaryItem is one line of the form's summary: what the fields Names
// (space-separated, for the script that keeps the line current) say.
type SummaryItem struct {
	Label string
	Names string
	Value string
}

// RequestFormView is the CreateInstance form.
type RequestFormView struct {
	Groups []FieldGroup
	Errors []components.FieldError
	// Problem is an error about the request as a whole (the cloud's
	// pre-flight refusal that names no field), shown at the top.
	Problem string
	// CatalogNote warns that the choices are out of date or unknown.
	CatalogNote string
	// CatalogJSON is the catalog for the script that narrows the lists.
	CatalogJSON string
	// CloneOf is the request this form was cloned from (0: none).
	CloneOf int64
	// Summary says what is being requested, beside the form.
	Summary []SummaryItem
	// CanEstimate offers the price estimate button.
	CanEstimate bool
	Price       string
	PriceError  string
}

// Field is the form's field name, or nil.
func (v *RequestFormView) Field(name string) *components.Field {
	for i := range v.Groups {
		for j := range v.Groups[i].Fields {
			if f := &v.Groups[i].Fields[j]; f.Name == name {
				return f
			}
		}
	}
	return nil
}

// RequestListView is a list of requests.
type RequestListView struct {
	Title         string
	Now           time.Time
	Requests      []domain.Request
	ShowRequester bool
	StatusOptions []components.Option
	NextURL       string
	// Filtered is set when a status filter is applied (for the empty text).
	Filtered bool
}

// Param is one parameter of a request, as shown on its page.
type Param struct {
	Name  string // the API parameter name
	Label string
	Value string
	Mono  bool
	// Warn shows the value in red: something the approver should weigh
	// (a whitelist open to every address).
	Warn bool
}

// ParamGroup is a titled group of a request's parameters.
type ParamGroup struct {
	Title  string
	Params []Param
}

// SetParam changes the shown value of the parameter name with edit.
func (v *RequestShowView) SetParam(name string, edit func(string) string) {
	for i := range v.Params {
		for j := range v.Params[i].Params {
			if p := &v.Params[i].Params[j]; p.Name == name {
				p.Value = edit(p.Value)
			}
		}
	}
}

// EventView is one entry of a request's timeline.
type EventView struct {
	At      time.Time
	Actor   string
	Action  string
	Text    string
	Details []string
	Status  domain.Status // the state the event moved to, if any
}

// RequestShowView is a request's page.
type RequestShowView struct {
	Now        time.Time
	R          domain.Request
	Params     []ParamGroup
	Capacity   string
	Events     []EventView
	Moving     bool
	CanCancel  bool
	CanDecide  bool
	CanRequeue bool // an admin looking at a failed request it can re-queue
	// PasswordNote says what becomes of a failed request's password, and
	// PasswordCase names the case ("kept", "erased").
	PasswordNote string
	PasswordCase string
	// Retry is the requester's retry form, when the password was erased.
	Retry      *RetryView
	OwnRequest bool // viewed by its requester, who is an approver: explain four-eyes
	Reason     components.Field
	// Price is the estimate made at submission in components.PriceText's
	// words; "" when there was none.
	Price string
	// Connect says whether a created instance accepts clients yet: ready
	// once it is Normal and the whitelist asked for with it is set ("" when
	// there is nothing to say); ConnectReady tells which.
	Connect      string
	ConnectReady bool
}

// ApprovalRow is one pending request in the approver's queue.
type ApprovalRow struct {
	R domain.Request
	// Params are the request's parameters worth a decision, the class with
	// its capacity.
	Params []Param
	// Price is the estimate from DescribePrice; "" when there is none.
	Price string
	Own   bool
}

// ApprovalsView is the approver's queue.
type ApprovalsView struct {
	Now     time.Time
	Rows    []ApprovalRow
	NextURL string
}

// FilterForm is the GET form above a list: its fields, their errors, and
// the list's address without filters.
type FilterForm struct {
	Action string
	Fields []components.Field
	Errors []components.FieldError
	Active bool
}

// AuditRow is one event of the audit trail.
type AuditRow struct {
	ID         int64
	Event      EventView
	RequestID  int64 // 0: not about a request
	InstanceID string
	RegionID   string
	Team       string
}

// AuditView is the audit trail.
type AuditView struct {
	Now       time.Time
	Filter    FilterForm
	Rows      []AuditRow
	NextURL   string
	ExportURL string
}

// AdminRequestsView is every request, for admins.
type AdminRequestsView struct {
	Now      time.Time
	Filter   FilterForm
	Requests []domain.Request
	NextURL  string
}

// UserInfo is a user as the users page shows it.
type UserInfo struct {
	ID        int64
	Username  string
	Role      domain.Role
	Disabled  bool
	CreatedAt time.Time
}

// UserRow is one user on the users page.
type UserRow struct {
	U    UserInfo
	Self bool
	// Sessions is the number of the user's open sessions.
	Sessions int
	// Roles are the role choices, the user's own selected.
	Roles []components.Option
}

// UsersView is the users page.
type UsersView struct {
	Now    time.Time
	Users  []UserRow
	Add    []components.Field // username and role of a new user
	Errors []components.FieldError
	// NewUser and OneTimePassword show a created user's generated
	// password, once.
	NewUser         string
	OneTimePassword string
}
