package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// Group is the part of the form, and of a request's page, that a parameter
// belongs to.
type Group struct {
	ID    string
	Title string
	// Description is said once above the group's fields; "" for none.
	Description string
	// Folded groups are optional extras: the form shows them closed
	// unless one of their fields holds a value or an error.
	Folded bool
}

// The groups, in the order of the form.
var (
	GroupWhat    = Group{ID: "what", Title: "What"}
	GroupWhere   = Group{ID: "where", Title: "Where"}
	GroupBilling = Group{ID: "billing", Title: "Billing"}
	GroupRestore = Group{ID: "restore", Title: "Restore from backup", Folded: true,
		Description: "Optional: start the instance from a backup set of another instance."}
	GroupAccess = Group{ID: "access", Title: "Access",
		Description: "The password is stored encrypted until the instance is created, then erased. It is never shown again."}
	GroupAdvanced = Group{ID: "advanced", Title: "Advanced", Folded: true}
)

// Groups lists the groups in the order of the form: where first, as the
// region narrows the zones and classes on offer; the folded extras last.
func Groups() []Group {
	return []Group{GroupWhere, GroupWhat, GroupBilling, GroupAccess, GroupRestore, GroupAdvanced}
}

// Kind is how a parameter is typed in and shown.
type Kind int

const (
	// KindText is free text.
	KindText Kind = iota
	// KindChoice is one of a list of values (Choices, or the catalog's).
	KindChoice
	// KindSecret is typed in but never shown again, stored sealed.
	KindSecret
)

// Param is one CreateInstance parameter: everything the form, the request's
// page, the store, the audit trail and the webhooks need to know of it. The
// table of them (Table) is the one place a parameter is described; adding a
// parameter is an entry here, its rule (check) and its mapping onto the SDK
// request in package rkvstore.
type Param struct {
	// Name is the API parameter's name: the form field's name, the JSON
	// key, the audit detail's key.
	Name string
	// Wire is the name the current API and SDK give the parameter when it
	// differs from Name ("" otherwise): the form keeps the reference's name.
	Wire  string
	Label string
	// Help is what to type, in a few words, shown beside the field.
	Help string
	// Rule is the whole rule when Help says less of it ("" when Help is
	// all of it): the form shows it behind a disclosure, the rules
	// reference in full.
	Rule  string
	Group Group
	Kind  Kind
	// Column is the requests table's column, "" when the value is not kept
	// as a plain column (the password is kept sealed).
	Column string
	// Mono shows the value in a fixed-width font (identifiers).
	Mono bool
	// Required marks the field as required on the form.
	Required bool
	// MaxLen bounds what the form lets one type (0: no bound of its own).
	MaxLen int
	// Placeholder is an example shown in the empty field.
	Placeholder string
	// ShowWhen names another parameter's value that this one goes with
	// ("NetworkType=VPC"): the form shows it only then.
	ShowWhen string
	// Choices are the values of a KindChoice parameter that does not come
	// from the catalog, with their labels.
	Choices []Choice
	// Default is the value the API reference gives the parameter when it is
	// left out: a new form starts with it ("" for none).
	Default string
	// Internal marks the portal's own bookkeeping rather than a property of
	// the instance (the idempotency token): the approvals queue and the
	// webhooks leave it out, as it means nothing to an approver or a
	// receiver.
	Internal bool

	// words, when set, says a set value as a person reads it (Words):
	// Period's "12 months" where the wire has 12.
	words func(p *Params) string

	// check validates the parameter (see validation.value) and sets its
	// field of the Params being built.
	check func(v *validation) string
	// field points at the parameter's field of p: a *string or an *int.
	field func(p *Params) any
}

// Choice is one value of an enumerated parameter.
type Choice struct {
	Value string
	Label string
}

// Table is every CreateInstance parameter KVPortal sends, in the order of
// the form.
var Table = []Param{
	{Name: "RegionId", Label: "Region", Group: GroupWhere, Column: "region_id", Mono: true, Required: true,
		Help:        "Where the instance runs: it narrows the zones and classes.",
		Rule:        "Required. The region to create the instance in, e.g. cn-hangzhou.",
		Placeholder: "e.g. cn-hangzhou",
		check:       (*validation).checkRegion, field: func(p *Params) any { return &p.RegionId }},
	{Name: "ZoneId", Label: "Zone", Group: GroupWhere, Column: "zone_id", Mono: true,
		Help:        "Optional: any zone of the region will do.",
		Rule:        "Optional. A zone of the region, e.g. cn-hangzhou-b.",
		Placeholder: "any zone",
		check:       (*validation).checkZone, field: func(p *Params) any { return &p.ZoneId }},
	{Name: "NetworkType", Label: "Network type", Group: GroupWhere, Kind: KindChoice, Column: "network_type",
		Help: "Classic (the default) or VPC.", Default: DefaultNetworkType,
		Choices: choicesOf(NetworkTypes(), nil),
		check:   (*validation).checkNetworkType, field: func(p *Params) any { return &p.NetworkType }},
	{Name: "VpcId", Label: "VPC", Group: GroupWhere, Column: "vpc_id", Mono: true, ShowWhen: "NetworkType=" + NetworkVPC,
		Help:        "The VPC's ID, vpc-…",
		Rule:        "Required with VPC, allowed only with VPC. The VPC's ID, starting with vpc-.",
		Placeholder: "vpc-…",
		check:       (*validation).checkVpcID, field: func(p *Params) any { return &p.VpcId }},
	{Name: "VSwitchId", Label: "VSwitch", Group: GroupWhere, Column: "vswitch_id", Mono: true, ShowWhen: "NetworkType=" + NetworkVPC,
		Help:        "The VSwitch's ID, vsw-…",
		Rule:        "Required with VPC, allowed only with VPC. The VSwitch's ID, starting with vsw-.",
		Placeholder: "vsw-…",
		check:       (*validation).checkVSwitchID, field: func(p *Params) any { return &p.VSwitchId }},
	{Name: "PrivateIp", Wire: "PrivateIpAddress", Label: "Private IP address", Group: GroupWhere, Column: "private_ip", Mono: true, ShowWhen: "NetworkType=" + NetworkVPC,
		Help:        "Optional: an address in the VSwitch's range.",
		Rule:        "Optional, only with VPC. An IPv4 address in the VSwitch's range, e.g. 192.168.0.10.",
		Placeholder: "192.168.0.10",
		check:       (*validation).checkPrivateIP, field: func(p *Params) any { return &p.PrivateIp }},
	{Name: "InstanceType", Label: "Instance type", Group: GroupWhat, Kind: KindChoice, Column: "instance_type",
		Help: "Redis (the default) or Memcache.", Default: DefaultInstanceType,
		Choices: choicesOf(InstanceTypeChoices(), nil),
		check:   (*validation).checkInstanceType, field: func(p *Params) any { return &p.InstanceType }},
	{Name: "EngineVersion", Label: "Engine version", Group: GroupWhat, Kind: KindChoice, Column: "engine_version",
		Help: "2.8 (the default) or 4.0; newer versions where the cloud offers them.", Default: DefaultEngineVersion,
		check: (*validation).checkEngineVersion, field: func(p *Params) any { return &p.EngineVersion }},
	{Name: "InstanceClass", Label: "Instance class", Group: GroupWhat, Column: "instance_class", Mono: true, Required: true,
		Help:        "Size and architecture.",
		Rule:        "Required. The instance class (size and architecture), e.g. redis.master.small.default.",
		Placeholder: "e.g. redis.master.small.default",
		check:       (*validation).checkInstanceClass, field: func(p *Params) any { return &p.InstanceClass }},
	{Name: "InstanceName", Label: "Instance name", Group: GroupWhat, Column: "instance_name",
		Help:   "Optional: 2–128 characters, starting with a letter.",
		Rule:   "Optional. 2–128 characters, starting with a letter or Chinese character; no spaces or @ / : = \" “ ” < > { } [ ].",
		MaxLen: InstanceNameMaxLen, Placeholder: "e.g. orders-cache",
		check: (*validation).checkInstanceName, field: func(p *Params) any { return &p.InstanceName }},
	{Name: "ChargeType", Label: "Billing method", Group: GroupBilling, Kind: KindChoice, Column: "charge_type",
		Help: "PostPaid (pay as you go, the default) or PrePaid (subscription).", Default: DefaultChargeType,
		Choices: choicesOf(ChargeTypes(), map[string]string{
			ChargePostPaid: "PostPaid (pay as you go)", ChargePrePaid: "PrePaid (subscription)"}),
		check: (*validation).checkChargeType, field: func(p *Params) any { return &p.ChargeType }},
	{Name: "Period", Label: "Period", Group: GroupBilling, Kind: KindChoice, Column: "period", ShowWhen: "ChargeType=" + ChargePrePaid,
		Help:    "Months paid in advance.",
		Rule:    "Months paid in advance with PrePaid: " + periodList + ". Ignored with PostPaid.",
		Choices: periodChoices(),
		words:   func(p *Params) string { return PeriodText(p.Period) },
		check:   (*validation).checkPeriod, field: func(p *Params) any { return &p.Period }},
	{Name: "Password", Label: "Instance password", Group: GroupAccess, Kind: KindSecret,
		Help:   "Optional, but needed to connect (else set it in the cloud's console later): 8–30 characters, with upper and lower case letters and a digit.",
		Rule:   "Optional. 8–30 ASCII characters with an uppercase letter, a lowercase letter and a digit; no spaces or ! < > ( ) [ ] { } , ` ~ . - _ @ # $ % ^ & *.",
		MaxLen: passwordFieldMaxLen,
		check:  (*validation).checkPassword, field: func(p *Params) any { return &p.Password }},
	{Name: "SrcDBInstanceId", Label: "Source instance", Group: GroupRestore, Column: "src_db_instance_id", Mono: true,
		Help:        "Optional. The instance whose backup set the new instance is created from.",
		Placeholder: "r-…",
		check:       (*validation).checkSrcDBInstanceID, field: func(p *Params) any { return &p.SrcDBInstanceId }},
	{Name: "BackupId", Label: "Backup set", Group: GroupRestore, Column: "backup_id", Mono: true,
		Help:  "Optional, needs SrcDBInstanceId. The backup set to create the instance from.",
		check: (*validation).checkBackupID, field: func(p *Params) any { return &p.BackupId }},
	{Name: "Port", Label: "Port", Group: GroupAdvanced, Column: "port", Mono: true, Default: DefaultPort,
		Help:   "The port the instance listens on: 1–65535 (6379, the default).",
		MaxLen: len("65535"),
		check:  (*validation).checkPort, field: func(p *Params) any { return &p.Port }},
	{Name: "Token", Label: "Token", Group: GroupAdvanced, Column: "token", Mono: true, Internal: true,
		Help:   "Left empty, one is generated.",
		Rule:   "Optional idempotency token: up to 64 ASCII characters, no spaces. Left empty, one is generated.",
		MaxLen: TokenMaxLen, Placeholder: "generated when empty",
		check: (*validation).checkToken, field: func(p *Params) any { return &p.Token }},
}

// passwordFieldMaxLen lets the form take a little more than the rule allows,
// so that a password that is too long gets the rule's message rather than
// being cut short silently.
const passwordFieldMaxLen = 64

// tableIndex finds a parameter of Table by name, and checks its check: both
// are filled in init, as the checks themselves look parameters up.
var (
	tableIndex map[string]int
	checks     map[string]func(*validation) string
	columns    []Param
)

func init() {
	tableIndex = make(map[string]int, len(Table))
	checks = make(map[string]func(*validation) string, len(Table))
	for i, p := range Table {
		tableIndex[p.Name] = i
		checks[p.Name] = p.check
		if p.Column != "" {
			columns = append(columns, p)
		}
	}
}

// ParamByName returns the parameter of that API name.
func ParamByName(name string) (Param, bool) {
	i, ok := tableIndex[name]
	if !ok {
		return Param{}, false
	}
	return Table[i], true
}

// Columns lists the parameters kept in a column of their own, in the order
// of Table; Param.Ptr gives the matching scan destinations. The slice is
// shared: callers must not change it.
func Columns() []Param { return columns }

// FullRule is the parameter's whole rule: Rule, or Help when that says it
// all.
func (m Param) FullRule() string {
	if m.Rule != "" {
		return m.Rule
	}
	return m.Help
}

// WireName is the parameter's name on the wire.
func (m Param) WireName() string {
	if m.Wire != "" {
		return m.Wire
	}
	return m.Name
}

// Ptr points at the parameter's field of p: a *string or an *int, to scan a
// column into.
func (m Param) Ptr(p *Params) any { return m.field(p) }

// Value is the parameter's value in p, as stored: a string or an int.
func (m Param) Value(p Params) any { return m.ValueAt(&p) }

// ValueAt is Value of *p. Value copies the whole of p to the heap on every
// call (the field is read through a function, which the compiler can't see
// into): reading several parameters of one Params, pass its address.
func (m Param) ValueAt(p *Params) any {
	switch v := m.field(p).(type) {
	case *string:
		return *v
	case *int:
		return *v
	}
	panic(fmt.Sprintf("parameter %s: unknown field type", m.Name))
}

// Text is the parameter's value in p as one types it into the form: a zero
// number is an empty field.
func (m Param) Text(p Params) string { return m.TextOf(&p) }

// TextOf is Text read through a pointer. Pages that go through the whole
// table for every row of a list use it: Text copies p for each parameter
// (the field accessor keeps it on the heap), and Value boxes the value too.
func (m Param) TextOf(p *Params) string {
	switch v := m.field(p).(type) {
	case *string:
		return *v
	case *int:
		if *v == 0 {
			return ""
		}
		return strconv.Itoa(*v)
	}
	panic(fmt.Sprintf("parameter %s: unknown field type", m.Name))
}

// ShownWith reports whether the parameter goes with the form values in: its
// ShowWhen ("NetworkType=VPC") holds, or it has none.
func (m Param) ShownWith(in Input) bool {
	other, want, conditional := m.showWhen()
	return !conditional || in[other] == want
}

// ShownIn is ShownWith for the values of p.
func (m Param) ShownIn(p *Params) bool {
	other, want, conditional := m.showWhen()
	if !conditional {
		return true
	}
	o, found := ParamByName(other)
	return found && o.TextOf(p) == want
}

// showWhen is ShowWhen read: the other parameter's name and the value it
// must have; conditional is false when the parameter is always shown.
func (m Param) showWhen() (other, want string, conditional bool) {
	return strings.Cut(m.ShowWhen, "=")
}

// Input returns p as form values: for cloning a request or showing it again.
// The password is left out, and a zero number is an empty field.
func (p Params) Input() Input {
	in := make(Input, len(Table))
	for _, m := range Table {
		if m.Kind != KindSecret {
			in[m.Name] = m.TextOf(&p)
		}
	}
	return in
}

// Details is what an audit event or a notification keeps of p: every
// parameter that is set, under its API name, never the password.
func (p Params) Details() Details {
	d := make(Details, len(Table))
	p.each(true, func(name string, v any) { d[DetailKey(name)] = v })
	return d
}

// Public is Details without the Internal parameters: what the request's
// webhooks tell a receiver.
func (p Params) Public() map[string]any {
	d := make(map[string]any, len(Table))
	p.each(false, func(name string, v any) { d[name] = v })
	return d
}

// each calls fn with every parameter of p that is set, never the password,
// and the Internal ones only when internal.
func (p Params) each(internal bool, fn func(name string, v any)) {
	for _, m := range Table {
		if m.Kind == KindSecret || m.Internal && !internal {
			continue
		}
		switch v := m.Value(p).(type) {
		case string:
			if v != "" {
				fn(m.Name, v)
			}
		case int:
			if v != 0 {
				fn(m.Name, v)
			}
		}
	}
}

// choicesOf makes choices of values, labelled by labels where they have one.
func choicesOf(values []string, labels map[string]string) []Choice {
	out := make([]Choice, 0, len(values))
	for _, v := range values {
		label := v
		if l, ok := labels[v]; ok {
			label = l
		}
		out = append(out, Choice{Value: v, Label: label})
	}
	return out
}

// periodChoices are the PrePaid periods, "" first for "none".
func periodChoices() []Choice {
	out := []Choice{{Value: "", Label: "—"}}
	for _, m := range PeriodChoices() {
		out = append(out, Choice{Value: strconv.Itoa(m), Label: PeriodText(m)})
	}
	return out
}

// PeriodText is a PrePaid period in words, "1 month" or "12 months": the
// form's choices, the request's page, the approvals queue, the approval's
// confirmation and the price estimate all say a period so; "" for none.
func PeriodText(months int) string {
	switch {
	case months <= 0:
		return ""
	case months < len(periodWords) && periodWords[months] != "":
		return periodWords[months] // the lists show it on every row: no allocation
	case months == 1:
		return "1 month"
	}
	return strconv.Itoa(months) + " months"
}

// periodWords holds PeriodText of each period offered, by months.
var periodWords = func() []string {
	choices := PeriodChoices()
	words := make([]string, choices[len(choices)-1]+1)
	for _, m := range choices {
		words[m] = strconv.Itoa(m) + " months"
	}
	words[1] = "1 month"
	return words
}()

// periodList is PeriodChoices as the rules say them, runs of consecutive
// months as a range: "1–9, 12, 24 or 36".
var periodList = func() string {
	ms := PeriodChoices()
	var parts []string
	for i := 0; i < len(ms); {
		j := i
		for j+1 < len(ms) && ms[j+1] == ms[j]+1 {
			j++
		}
		part := strconv.Itoa(ms[i])
		if j > i+1 {
			part += "–" + strconv.Itoa(ms[j])
		} else if j == i+1 {
			j = i // two in a row are said one by one
		}
		parts = append(parts, part)
		i = j + 1
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}()

// Words is the value of the parameter in p as a person reads it: the
// value itself (TextOf), or its words for a parameter that has them
// (Period: "12 months"); "" when unset.
func (m Param) Words(p *Params) string {
	if m.words != nil {
		return m.words(p)
	}
	return m.TextOf(p)
}
