package handlers

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// readInput reads the form's fields into an Input, one per parameter of
// the table, and the team. A field sent more than once is an error of its
// own, and so is a control character in any field, even one the rules
// would ignore (a Period of a pay-as-you-go request): no such text is
// stored or sent on.
func readInput(form url.Values) (domain.Input, domain.FieldErrors) {
	errs := domain.FieldErrors{}
	in := make(domain.Input, len(domain.Table)+1)
	names := make([]string, 0, len(domain.Table)+1)
	for _, m := range domain.Table {
		names = append(names, m.Name)
	}
	for _, name := range append(names, domain.TeamField, domain.SecurityIpsField, domain.ReleaseAfterField) {
		vs := form[name]
		switch {
		case len(vs) > 1:
			errs[name] = "was sent more than once"
		case len(vs) == 1:
			if problem := domain.TextProblem(vs[0]); problem != "" {
				errs[name] = problem
			}
		}
		if len(vs) > 0 {
			in[name] = vs[0]
		}
	}
	return in, errs
}

// defaultInput is a new form: the table's defaults, narrowed to what the
// catalog offers.
func defaultInput(cat *domain.Catalog) domain.Input {
	in := domain.Input{}
	for _, m := range domain.Table {
		if m.Default != "" {
			in[m.Name] = m.Default
		}
	}
	if types := cat.AllowedInstanceTypes(); len(types) > 0 && !slices.Contains(types, in["InstanceType"]) {
		in["InstanceType"] = types[0]
	}
	if versions := cat.AllowedEngineVersions(in["InstanceType"]); len(versions) > 0 && !slices.Contains(versions, in["EngineVersion"]) {
		in["EngineVersion"] = versions[0]
	}
	return in
}

// formField is the form's field of parameter m: label, rule, the value as
// typed (never a secret) and its error.
func formField(m domain.Param, in domain.Input, errs domain.FieldErrors) components.Field {
	f := components.Field{Name: m.Name, Label: m.Label, Help: m.Help, Rule: m.Rule, Error: errs[m.Name], Kind: "text",
		Required: m.Required, MaxLength: m.MaxLen, Placeholder: m.Placeholder, ShowWhen: m.ShowWhen, Mono: m.Mono}
	switch m.Kind {
	case domain.KindSecret:
		f.Kind, f.Autocomplete = "password", "new-password"
		return f
	case domain.KindChoice:
		f.Kind = "select"
	}
	f.Value = strings.ToValidUTF8(in[m.Name], "\uFFFD")
	if len(m.Choices) > 0 {
		values := make([]string, len(m.Choices))
		labels := make(map[string]string, len(m.Choices))
		for i, c := range m.Choices {
			values[i], labels[c.Value] = c.Value, c.Label
		}
		f.Options = choices(values, f.Value, labels)
	}
	return f
}

// formView builds the form for in (shown as typed, never the password) with
// its errors: one field per parameter of the table, in its groups, the
// choices of the catalog's parameters taken from cat.
func (h *Handlers) formView(in domain.Input, errs domain.FieldErrors, cat *domain.Catalog) pages.RequestFormView {
	kind := orDefault(in["InstanceType"], domain.DefaultInstanceType)
	v := pages.RequestFormView{CanEstimate: h.Pricer != nil, CatalogJSON: catalogJSON(cat)}
	for _, g := range domain.Groups() {
		group := pages.FieldGroup{ID: g.ID, Title: g.Title, Description: g.Description, Folded: g.Folded}
		for _, m := range domain.Table {
			if m.Group != g {
				continue
			}
			f := formField(m, in, errs)
			// The catalog narrows these: what the cloud offers now.
			switch m.Name {
			case "InstanceType":
				f.Options = choices(cat.AllowedInstanceTypes(), f.Value, nil)
			case "EngineVersion":
				f.Options = choices(cat.AllowedEngineVersions(kind), f.Value, nil)
			case "InstanceClass":
				f = classField(f, cat, in, kind)
			case "RegionId":
				f = regionField(f, cat)
			case "ZoneId":
				f = zoneField(f, cat, in["RegionId"])
			}
			group.Fields = append(group.Fields, f)
			if f.Error != "" {
				v.Errors = append(v.Errors, components.FieldError{Name: f.Name, Label: f.Label, Message: f.Error})
			}
		}
		group.Open = group.Folded && foldOpen(group)
		v.Groups = append(v.Groups, group)
	}
	v.Summary = formSummary(&v, in)
	switch {
	case cat == nil:
		v.CatalogNote = "The cloud's list of regions, zones and classes could not be loaded: type them yourself."
	case cat.Stale:
		v.CatalogNote = "The list of regions, zones and classes may be out of date: the cloud could not be reached since " +
			cat.FetchedAt.UTC().Format("2006-01-02 15:04 UTC") + "."
	}
	return v
}

// choices makes select options of values, the current value selected and
// added when it is not among them (so that nothing typed is lost).
func choices(values []string, current string, labels map[string]string) []components.Option {
	opts := make([]components.Option, 0, len(values)+1)
	found := false
	for _, v := range values {
		label := v
		if l, ok := labels[v]; ok {
			label = l
		}
		sel := v == current
		found = found || sel
		opts = append(opts, components.Option{Value: v, Label: label, Selected: sel})
	}
	if !found {
		opts = append(opts, components.Option{Value: current, Label: current + " (not offered)", Selected: true})
	}
	return opts
}

// regionField is a select of the catalog's regions, or a text field when
// the catalog knows none.
func regionField(fl components.Field, cat *domain.Catalog) components.Field {
	if cat == nil || len(cat.Regions) == 0 {
		fl.Placeholder = "e.g. cn-hangzhou"
		fl.Mono = true
		return fl
	}
	fl.Kind = "select"
	fl.Options = []components.Option{{Value: "", Label: "Choose a region…", Selected: fl.Value == ""}}
	found := fl.Value == ""
	for _, r := range cat.Regions {
		label := r.RegionId
		if r.LocalName != "" && r.LocalName != r.RegionId {
			label += " · " + r.LocalName
		}
		sel := r.RegionId == fl.Value
		found = found || sel
		fl.Options = append(fl.Options, components.Option{Value: r.RegionId, Label: label, Selected: sel})
	}
	if !found {
		fl.Options = append(fl.Options, components.Option{Value: fl.Value, Label: fl.Value + " (not offered)", Selected: true})
	}
	return fl
}

// zoneField is a select of the chosen region's zones (of every region,
// grouped, when none is chosen yet), or a text field when the catalog does
// not know them.
func zoneField(fl components.Field, cat *domain.Catalog, regionID string) components.Field {
	var regions []domain.Region
	if r, ok := cat.Region(regionID); ok {
		regions = []domain.Region{r}
	} else if cat != nil && regionID == "" {
		regions = cat.Regions
	}
	var opts []components.Option
	found := fl.Value == ""
	for _, r := range regions {
		for _, z := range r.Zones {
			label := z.ZoneId
			if z.LocalName != "" && z.LocalName != z.ZoneId {
				label += " · " + z.LocalName
			}
			group := ""
			if len(regions) > 1 {
				group = r.RegionId
			}
			sel := z.ZoneId == fl.Value
			found = found || sel
			opts = append(opts, components.Option{Value: z.ZoneId, Label: label, Group: group, Selected: sel})
		}
	}
	if len(opts) == 0 {
		fl.Placeholder = "any zone"
		fl.Mono = true
		return fl
	}
	fl.Kind = "select"
	fl.Options = append([]components.Option{{Value: "", Label: "Any zone", Selected: fl.Value == ""}}, opts...)
	if !found {
		fl.Options = append(fl.Options, components.Option{Value: fl.Value, Label: fl.Value + " (not offered)", Selected: true})
	}
	return fl
}

// classField is a select of the classes offered for the chosen region,
// zone, type and version, or a text field when the catalog knows none.
func classField(fl components.Field, cat *domain.Catalog, in domain.Input, kind string) components.Field {
	version := in["EngineVersion"]
	offers := cat.OffersFor(in["RegionId"], in["ZoneId"], kind, version)
	if len(offers) == 0 {
		offers = cat.OffersFor(in["RegionId"], "", kind, version)
	}
	if len(offers) == 0 {
		fl.Placeholder = "e.g. redis.master.small.default"
		fl.Mono = true
		return fl
	}
	fl.Kind = "select"
	fl.Options = []components.Option{{Value: "", Label: "Choose a class…", Selected: fl.Value == ""}}
	found := fl.Value == ""
	for _, o := range offers {
		label := o.InstanceClass
		if c := components.Capacity(o.CapacityMB); c != "" {
			label += " (" + c + ")"
		}
		sel := o.InstanceClass == fl.Value
		found = found || sel
		fl.Options = append(fl.Options, components.Option{Value: o.InstanceClass, Label: label, Selected: sel})
	}
	if !found {
		fl.Options = append(fl.Options, components.Option{Value: fl.Value, Label: fl.Value + " (not offered here)", Selected: true})
	}
	return fl
}

// catalogJSON is the catalog for the form's script: regions with zones and
// the offers. "" when the catalog knows nothing.
func catalogJSON(cat *domain.Catalog) string {
	if cat == nil || (len(cat.Regions) == 0 && len(cat.Offers) == 0) {
		return ""
	}
	type zone struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
	}
	type region struct {
		ID    string `json:"id"`
		Zones []zone `json:"zones"`
	}
	type offer struct {
		R     string `json:"r"`
		Z     string `json:"z"`
		T     string `json:"t"`
		V     string `json:"v"`
		C     string `json:"c"`
		MB    int64  `json:"mb,omitempty"`
		Label string `json:"label,omitempty"`
	}
	out := struct {
		Regions []region `json:"regions"`
		Offers  []offer  `json:"offers"`
	}{}
	for _, r := range cat.Regions {
		rr := region{ID: r.RegionId}
		for _, z := range r.Zones {
			zz := zone{ID: z.ZoneId}
			if z.LocalName != z.ZoneId {
				zz.Name = z.LocalName
			}
			rr.Zones = append(rr.Zones, zz)
		}
		out.Regions = append(out.Regions, rr)
	}
	for _, o := range cat.Offers {
		out.Offers = append(out.Offers, offer{R: o.RegionId, Z: o.ZoneId, T: o.InstanceType, V: o.EngineVersion,
			C: o.InstanceClass, MB: o.CapacityMB, Label: components.Capacity(o.CapacityMB)})
	}
	sort.SliceStable(out.Offers, func(i, j int) bool { return out.Offers[i].MB < out.Offers[j].MB })
	b, err := json.Marshal(out)
	if err != nil {
		return ""
	}
	return string(b)
}

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return def
}
