package handlers

import (
	"strings"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// summaryLines are the lines of the form's summary, each naming the fields
// it says (the form's script keeps them current as the fields change).
var summaryLines = []struct{ label, names string }{
	{"Where", "RegionId ZoneId"},
	{"What", "InstanceType EngineVersion"},
	{"Class", "InstanceClass"},
	{"Name", "InstanceName"},
	{"Network", "NetworkType VpcId VSwitchId"},
	{"Billing", "ChargeType Period"},
	{"Team", "Team"},
}

// formSummary says what the form requests as it stands: for each line, the
// shown values of its fields (a choice by its label), those that do not
// apply (a VPC on Classic) or are empty left out. It is built once the form
// has all its fields, the team's included.
func formSummary(v *pages.RequestFormView, in domain.Input) []pages.SummaryItem {
	out := make([]pages.SummaryItem, 0, len(summaryLines))
	for _, l := range summaryLines {
		var parts []string
		present := false
		for _, name := range strings.Fields(l.names) {
			f := v.Field(name)
			if f == nil {
				continue
			}
			present = true
			if m, isParam := domain.ParamByName(name); isParam && !m.ShownWith(in) {
				continue
			}
			if s := shownValue(*f); s != "" {
				parts = append(parts, s)
			}
		}
		if present { // a line about fields the form lacks (Team, for someone in no team) is left out
			out = append(out, pages.SummaryItem{Label: l.label, Names: l.names, Value: strings.Join(parts, " · ")})
		}
	}
	return out
}

// shownValue is a field's value as the person sees it: a choice's label.
func shownValue(f components.Field) string {
	if f.Value == "" {
		return ""
	}
	if f.Kind == "select" {
		for _, o := range f.Options {
			if o.Selected {
				return o.Label
			}
		}
	}
	return f.Value
}

// foldOpen reports whether a folded group must show open: one of its
// fields holds an error, or a value other than the parameter's default.
func foldOpen(g pages.FieldGroup) bool {
	for _, f := range g.Fields {
		m, _ := domain.ParamByName(f.Name)
		if f.Error != "" || (f.Value != "" && f.Value != m.Default) {
			return true
		}
	}
	return false
}
