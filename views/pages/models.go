// Package pages holds KVPortal's screens. Each takes a view model that the
// handlers fill in; the templates only lay it out.
package pages

import (
	"time"

	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
)

// LoginView is the sign-in page.
type LoginView struct {
	Username string
	Next     string
	Error    string
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
}

// RequestFormView is the CreateInstance form.
type RequestFormView struct {
	Groups []FieldGroup
	Errors []components.FieldError
	// CatalogNote warns that the choices are out of date or unknown.
	CatalogNote string
	// CatalogJSON is the catalog for the script that narrows the lists.
	CatalogJSON string
	// CloneOf is the request this form was cloned from (0: none).
	CloneOf int64
	// CanEstimate offers the price estimate button.
	CanEstimate bool
	Price       string
	PriceError  string
}

// RequestListView is a list of requests.
type RequestListView struct {
	Title         string
	Now           time.Time
	Requests      []store.Request
	ShowRequester bool
	Status        string
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
}

// EventView is one entry of a request's timeline.
type EventView struct {
	At      time.Time
	Actor   string
	Action  string
	Text    string
	Details []string
	Status  store.Status // the state the event moved to, if any
}

// RequestShowView is a request's page.
type RequestShowView struct {
	Now        time.Time
	R          store.Request
	What       []Param
	Where      []Param
	Billing    []Param
	Other      []Param
	Capacity   string
	Events     []EventView
	Moving     bool
	CanCancel  bool
	CanDecide  bool
	OwnRequest bool // viewed by its requester, who is an approver: explain four-eyes
	Reason     components.Field
}

// ApprovalRow is one pending request in the approver's queue.
type ApprovalRow struct {
	R        store.Request
	Capacity string
	Own      bool
	Reason   components.Field
}

// ApprovalsView is the approver's queue.
type ApprovalsView struct {
	Now     time.Time
	Rows    []ApprovalRow
	NextURL string
	Total   int
}
