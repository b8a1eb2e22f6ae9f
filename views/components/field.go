package components

// Field is one form field: its control, label, help and error. Handlers
// build fields; the templates only lay them out.
type Field struct {
	// Name is the form field name (the API parameter name) and the base of
	// the element ids.
	Name  string
	Label string
	Help  string
	// Rule is the field's whole rule when Help is shorter: shown behind a
	// disclosure, and read to screen readers with the help.
	Rule string
	// Note is said beside the control before its help: what to do again
	// (type the password again after a price estimate).
	Note  string
	Error string
	// Kind is the control: "text", "password", "date", "select" or
	// "textarea".
	Kind  string
	Value string
	// Options are the choices of a select; a text field with options gets
	// them as a datalist of suggestions.
	Options  []Option
	Required bool
	// MaxLength bounds the text the browser lets through (0: none).
	MaxLength    int
	Placeholder  string
	Autocomplete string
	// ShowWhen, "ChargeType=PrePaid" say, lets the script hide the field
	// while another field has another value.
	ShowWhen string
	// Mono shows the value in a fixed-width font (IDs, tokens).
	Mono bool
	// IDBase replaces Name in the element ids, for a field repeated on a
	// page (one reason field per request in a queue).
	IDBase string
	// Plain leaves out the field's name beside its label: for fields that
	// are not API parameters (filters, users).
	Plain bool
}

func (f Field) base() string {
	if f.IDBase != "" {
		return f.IDBase
	}
	return f.Name
}

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Group    string // optgroup label, "" for none
	Selected bool
}

// ID is the id of the field's control.
func (f Field) ID() string { return "f-" + f.base() }

// HelpID is the id of the field's help text.
func (f Field) HelpID() string { return "help-" + f.base() }

// RuleID is the id of the field's whole rule.
func (f Field) RuleID() string { return "rule-" + f.base() }

// NoteID is the id of the field's note.
func (f Field) NoteID() string { return "note-" + f.base() }

// ErrorID is the id of the field's error message.
func (f Field) ErrorID() string { return "err-" + f.base() }

// DescribedBy lists the ids that describe the control: its error, its
// note, its help, then its whole rule.
func (f Field) DescribedBy() string {
	ids := ""
	if f.Error != "" {
		ids = f.ErrorID()
	}
	if f.Note != "" {
		ids = join(" ", ids, f.NoteID())
	}
	if f.Help != "" {
		ids = join(" ", ids, f.HelpID())
	}
	if f.Rule != "" {
		ids = join(" ", ids, f.RuleID())
	}
	return ids
}

// OptionGroup is the options of one optgroup, in order.
type OptionGroup struct {
	Label   string
	Options []Option
}

// groups splits options into their optgroups, keeping the order of first
// appearance; options without a group come first, in a group with no label.
func groups(opts []Option) []OptionGroup {
	var out []OptionGroup
	index := map[string]int{}
	for _, o := range opts {
		i, ok := index[o.Group]
		if !ok {
			i = len(out)
			index[o.Group] = i
			out = append(out, OptionGroup{Label: o.Group})
		}
		out[i].Options = append(out[i].Options, o)
	}
	return out
}

// FieldError is one entry of the error summary.
type FieldError struct {
	Name    string
	Label   string
	Message string
}

// Href is the link from the summary to the field's control.
func (e FieldError) Href() string { return "#f-" + e.Name }

func inputType(kind string) string {
	switch kind {
	case "password":
		return kind
	}
	// A date is typed as text, yyyy-mm-dd: the browser's date control
	// shows the reader's locale order (12/01/2026), and KVPortal writes
	// every date as yyyy-mm-dd.
	return "text"
}
