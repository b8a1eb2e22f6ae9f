package handlers

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// formFields are the CreateInstance form's fields, in the order of the form.
var formFields = []string{"InstanceType", "EngineVersion", "InstanceClass", "InstanceName",
	"RegionId", "ZoneId", "NetworkType", "VpcId", "VSwitchId", "PrivateIp",
	"ChargeType", "Period", "SrcDBInstanceId", "BackupId", "Password", "Token"}

// fieldLabels are the fields' names as people read them.
var fieldLabels = map[string]string{
	"InstanceType": "Instance type", "EngineVersion": "Engine version", "InstanceClass": "Instance class",
	"InstanceName": "Instance name", "RegionId": "Region", "ZoneId": "Zone", "NetworkType": "Network type",
	"VpcId": "VPC", "VSwitchId": "VSwitch", "PrivateIp": "Private IP address", "ChargeType": "Billing method",
	"Period": "Period", "SrcDBInstanceId": "Source instance", "BackupId": "Backup set",
	"Password": "Instance password", "Token": "Token",
}

// readInput reads the form's fields into an Input. A field sent more than
// once is an error of its own.
func readInput(form url.Values) (rkvstore.Input, rkvstore.FieldErrors) {
	errs := rkvstore.FieldErrors{}
	get := func(name string) string {
		vs := form[name]
		if len(vs) > 1 {
			errs[name] = "was sent more than once"
		}
		if len(vs) == 0 {
			return ""
		}
		return vs[0]
	}
	in := rkvstore.Input{}
	for _, name := range formFields {
		*inputField(&in, name) = get(name)
	}
	return in, errs
}

// inputField points at the field of in named name.
func inputField(in *rkvstore.Input, name string) *string {
	switch name {
	case "InstanceName":
		return &in.InstanceName
	case "Password":
		return &in.Password
	case "InstanceClass":
		return &in.InstanceClass
	case "RegionId":
		return &in.RegionId
	case "ZoneId":
		return &in.ZoneId
	case "ChargeType":
		return &in.ChargeType
	case "Period":
		return &in.Period
	case "Token":
		return &in.Token
	case "NetworkType":
		return &in.NetworkType
	case "VpcId":
		return &in.VpcId
	case "VSwitchId":
		return &in.VSwitchId
	case "PrivateIp":
		return &in.PrivateIp
	case "SrcDBInstanceId":
		return &in.SrcDBInstanceId
	case "BackupId":
		return &in.BackupId
	case "InstanceType":
		return &in.InstanceType
	case "EngineVersion":
		return &in.EngineVersion
	}
	return new(string)
}

// defaultInput is a new form: the reference's defaults, narrowed to what
// the catalog offers.
func defaultInput(cat *rkvstore.Catalog) rkvstore.Input {
	in := rkvstore.Input{
		ChargeType:    rkvstore.DefaultChargeType,
		NetworkType:   rkvstore.DefaultNetworkType,
		InstanceType:  rkvstore.DefaultInstanceType,
		EngineVersion: rkvstore.DefaultEngineVersion,
	}
	if types := cat.AllowedInstanceTypes(); len(types) > 0 && !slices.Contains(types, in.InstanceType) {
		in.InstanceType = types[0]
	}
	if versions := cat.AllowedEngineVersions(in.InstanceType); len(versions) > 0 && !slices.Contains(versions, in.EngineVersion) {
		in.EngineVersion = versions[0]
	}
	return in
}

// formView builds the form for in (shown as typed, never the password) with
// its errors, its choices taken from cat.
func (h *Handlers) formView(in rkvstore.Input, errs rkvstore.FieldErrors, cat *rkvstore.Catalog) pages.RequestFormView {
	in.Password = ""
	f := func(name, kind string) components.Field {
		return components.Field{Name: name, Label: fieldLabels[name], Help: rkvstore.RuleHelp(name),
			Error: errs[name], Kind: kind, Value: strings.ToValidUTF8(*inputField(&in, name), "\uFFFD")}
	}
	kind := orDefault(in.InstanceType, rkvstore.DefaultInstanceType)

	instanceType := f("InstanceType", "select")
	instanceType.Options = choices(cat.AllowedInstanceTypes(), instanceType.Value, nil)
	engine := f("EngineVersion", "select")
	engine.Options = choices(cat.AllowedEngineVersions(kind), engine.Value, nil)
	class := classField(f("InstanceClass", "text"), cat, in, kind)
	name := f("InstanceName", "text")
	name.MaxLength = rkvstore.InstanceNameMaxLen
	name.Placeholder = "e.g. orders-cache"

	region := regionField(f("RegionId", "text"), cat)
	zone := zoneField(f("ZoneId", "text"), cat, in.RegionId)
	network := f("NetworkType", "select")
	network.Options = choices(rkvstore.NetworkTypes(), network.Value, nil)
	vpc := f("VpcId", "text")
	vswitch := f("VSwitchId", "text")
	ip := f("PrivateIp", "text")
	for _, p := range []*components.Field{&vpc, &vswitch, &ip} {
		p.ShowWhen = "NetworkType=" + rkvstore.NetworkVPC
		p.Mono = true
	}
	vpc.Placeholder, vswitch.Placeholder, ip.Placeholder = "vpc-…", "vsw-…", "192.168.0.10"

	charge := f("ChargeType", "select")
	charge.Options = choices(rkvstore.ChargeTypes(), charge.Value, map[string]string{
		rkvstore.ChargePostPaid: "PostPaid (pay as you go)", rkvstore.ChargePrePaid: "PrePaid (subscription)"})
	period := f("Period", "select")
	period.ShowWhen = "ChargeType=" + rkvstore.ChargePrePaid
	var months []string
	labels := map[string]string{"": "—"}
	for _, m := range rkvstore.PeriodChoices() {
		s := strconv.Itoa(m)
		months = append(months, s)
		labels[s] = s + " months"
		if m == 1 {
			labels[s] = "1 month"
		}
	}
	period.Options = choices(append([]string{""}, months...), period.Value, labels)

	src := f("SrcDBInstanceId", "text")
	backup := f("BackupId", "text")
	src.Mono, backup.Mono = true, true
	src.Placeholder = "r-…"
	password := f("Password", "password")
	password.Autocomplete = "new-password"
	password.MaxLength = 64
	token := f("Token", "text")
	token.Mono = true
	token.MaxLength = rkvstore.TokenMaxLen
	token.Placeholder = "generated when empty"

	region.Required, class.Required = true, true
	v := pages.RequestFormView{
		Groups: []pages.FieldGroup{
			{ID: "what", Title: "What", Fields: []components.Field{instanceType, engine, class, name}},
			{ID: "where", Title: "Where", Fields: []components.Field{region, zone, network, vpc, vswitch, ip}},
			{ID: "billing", Title: "Billing", Fields: []components.Field{charge, period}},
			{ID: "restore", Title: "Restore from backup", Description: "Optional: start the instance from a backup set of another instance.",
				Fields: []components.Field{src, backup}},
			{ID: "access", Title: "Access", Description: "The password is stored encrypted until the instance is created, then erased. It is never shown again.",
				Fields: []components.Field{password}},
			{ID: "advanced", Title: "Advanced", Fields: []components.Field{token}},
		},
		CanEstimate: h.Pricer != nil,
		CatalogJSON: catalogJSON(cat),
	}
	for _, g := range v.Groups {
		for _, fl := range g.Fields {
			if fl.Error != "" {
				v.Errors = append(v.Errors, components.FieldError{Name: fl.Name, Label: fl.Label, Message: fl.Error})
			}
		}
	}
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
func regionField(fl components.Field, cat *rkvstore.Catalog) components.Field {
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
func zoneField(fl components.Field, cat *rkvstore.Catalog, regionID string) components.Field {
	var regions []rkvstore.Region
	if r, ok := cat.Region(regionID); ok {
		regions = []rkvstore.Region{r}
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
func classField(fl components.Field, cat *rkvstore.Catalog, in rkvstore.Input, kind string) components.Field {
	version := in.EngineVersion
	offers := cat.OffersFor(in.RegionId, in.ZoneId, kind, version)
	if len(offers) == 0 {
		offers = cat.OffersFor(in.RegionId, "", kind, version)
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
func catalogJSON(cat *rkvstore.Catalog) string {
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
