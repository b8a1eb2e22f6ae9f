package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
)

// filterMaxLen bounds a text filter, in characters.
const filterMaxLen = 100

// filters reads the GET parameters of a list's filter form: each read adds
// its field (value and error) for the form, and keeps the valid non-empty
// values for the links that continue the list (pages, export). A bad value
// is an error beside its field, never a failed page.
type filters struct {
	c      echo.Context
	kept   url.Values
	Fields []components.Field
	Errors []components.FieldError
}

func newFilters(c echo.Context) *filters { return &filters{c: c, kept: url.Values{}} }

// add records the field of a filter, with its error if any.
func (f *filters) add(fd components.Field, value, problem string) {
	fd.Plain = true
	fd.Error = problem
	if problem == "" && value != "" {
		f.kept.Set(fd.Name, value)
	}
	f.Fields = append(f.Fields, fd)
	if problem != "" {
		f.Errors = append(f.Errors, components.FieldError{Name: fd.Name, Label: fd.Label, Message: problem})
	}
}

// raw is the parameter as typed, trimmed; shown is what the form may show
// back of it.
func (f *filters) raw(name string) (raw, shown string) {
	raw = strings.TrimSpace(f.c.QueryParam(name))
	return raw, printable(raw, filterMaxLen)
}

// Text reads a free-text filter; check, when set, says what is wrong with
// a value ("" when nothing). suggestions become the field's datalist.
func (f *filters) Text(name, label string, check func(string) string, suggestions []components.Option) string {
	raw, shown := f.raw(name)
	problem := filterProblem(raw)
	if problem == "" && raw != "" && check != nil {
		problem = check(raw)
	}
	f.add(components.Field{Name: name, Label: label, Value: shown, Options: suggestions, Mono: true, MaxLength: filterMaxLen}, raw, problem)
	if problem != "" {
		return ""
	}
	return raw
}

// Choice reads a filter among options (the first, value "", means any).
func (f *filters) Choice(name, label string, options []components.Option) string {
	raw, _ := f.raw(name)
	found := raw == ""
	opts := make([]components.Option, len(options))
	for i, o := range options {
		o.Selected = o.Value == raw
		found = found || o.Selected
		opts[i] = o
	}
	problem := ""
	if !found {
		problem = "is not one of the choices"
	}
	f.add(components.Field{Name: name, Label: label, Kind: "select", Options: opts}, raw, problem)
	if problem != "" {
		return ""
	}
	return raw
}

// ID reads a filter on a positive number (a request id).
func (f *filters) ID(name, label string) int64 {
	raw, shown := f.raw(name)
	var id int64
	problem := ""
	if raw != "" {
		var err error
		id, err = strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			id, problem = 0, "must be a request number, such as 42"
		}
	}
	f.add(components.Field{Name: name, Label: label, Value: shown, Mono: true, MaxLength: 20}, raw, problem)
	return id
}

// Dates reads a from/to pair of days (YYYY-MM-DD, UTC, both included) as
// the half-open range [since, until).
func (f *filters) Dates(fromName, fromLabel, toName, toLabel string) (since, until time.Time) {
	day := func(name string) (time.Time, string, string) {
		raw, shown := f.raw(name)
		if raw == "" {
			return time.Time{}, raw, ""
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil || t.Year() < 2000 || t.Year() > 9998 {
			return time.Time{}, shown, "must be a date, such as 2025-03-31"
		}
		return t, raw, ""
	}
	from, fromRaw, fromProblem := day(fromName)
	to, toRaw, toProblem := day(toName)
	if toProblem == "" && fromProblem == "" && !from.IsZero() && !to.IsZero() && to.Before(from) {
		toProblem = "must not be before " + fromLabel
	}
	f.add(components.Field{Name: fromName, Label: fromLabel, Kind: "date", Value: fromRaw, Placeholder: "yyyy-mm-dd"}, fromRaw, fromProblem)
	f.add(components.Field{Name: toName, Label: toLabel, Kind: "date", Value: toRaw, Placeholder: "yyyy-mm-dd"}, toRaw, toProblem)
	if fromProblem == "" {
		since = from
	}
	if toProblem == "" && !to.IsZero() {
		until = to.AddDate(0, 0, 1)
	}
	return since, until
}

// Valid reports whether every filter read well.
func (f *filters) Valid() bool { return len(f.Errors) == 0 }

// Active reports whether any filter is set.
func (f *filters) Active() bool { return len(f.kept) > 0 }

// URL is path with the valid filters, and extra parameters (before=…).
func (f *filters) URL(path string, extra ...string) string {
	q := url.Values{}
	for k, v := range f.kept {
		q[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// filterProblem says what is wrong with a text filter, "" if nothing: the
// rule of every stored text, and at most filterMaxLen characters.
func filterProblem(s string) string {
	if problem := domain.TextProblem(s); problem != "" {
		return problem
	}
	if utf8.RuneCountInString(s) > filterMaxLen {
		return "must be at most " + strconv.Itoa(filterMaxLen) + " characters long"
	}
	return ""
}

// cursor reads the keyset cursor of a list (?before= or ?after=): the id
// its page continues after (0: the first page; anything odd is the first
// page).
func cursor(c echo.Context, name string) int64 {
	id, err := strconv.ParseInt(c.QueryParam(name), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}
