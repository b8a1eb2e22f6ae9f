package domain

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RequestKind is what a request asks of the cloud: a new instance, or a
// change of one the portal made.
type RequestKind string

// The kinds of request. A change's kind is an entry of Kinds: adding one is
// an entry there, with its fields, its rule and its cloud call.
const (
	KindCreate        RequestKind = "create"
	KindSetWhitelist  RequestKind = "set_whitelist"
	KindModifySpec    RequestKind = "modify_spec"
	KindResetPassword RequestKind = "reset_password"
	KindRelease       RequestKind = "release"
	KindExtendLease   RequestKind = "extend_lease"
	KindRenew         RequestKind = "renew"
)

// WhitelistGroup is the whitelist group the portal sets and reads: its own,
// so that groups the system or a person made stay as they are.
const WhitelistGroup = "kvportal"

// SecurityIpsField is the creation form's field (and JSON key) of the
// whitelist the portal sets once the instance is Normal: not a
// CreateInstance parameter, so not in Table, it travels in an Input beside
// the parameters as the team does. Empty: none (no client can connect
// until a set_whitelist).
const SecurityIpsField = "SecurityIps"

// SecurityIpsMax is the most entries one whitelist group holds, and
// SecurityIpsMaxLen the longest whitelist a field takes: that many entries
// of an IPv6 block's length and a comma.
const (
	SecurityIpsMax    = 1000
	SecurityIpsMaxLen = 64 * SecurityIpsMax
)

// The times a spec change takes effect (ModifyInstanceSpec's EffectiveTime).
const (
	EffectiveImmediately = "Immediately"
	EffectiveMaintain    = "MaintainTime"
)

// The order types of a spec change (ModifyInstanceSpec's OrderType).
const (
	OrderUpgrade   = "UPGRADE"
	OrderDowngrade = "DOWNGRADE"
)

// ChangeField is one field of a change's form, JSON body and page.
type ChangeField struct {
	// Name is the API parameter's name: the form field's and the JSON key.
	Name  string
	Label string
	// Help is what to type, in a few words, shown beside the field.
	Help string
	// Secret fields are typed in but never shown again (stored sealed).
	Secret bool
	// Choices, when set, are the values one picks from.
	Choices []string
	MaxLen  int
}

// Change is what a change request asks for, as validated: only its kind's
// fields are set.
//
// A creation keeps its SecurityIps here too: the whitelist the portal sets
// once the instance is Normal.
type Change struct {
	SecurityIps   string `json:"SecurityIps,omitempty"`   // set_whitelist: canonical, comma-separated
	InstanceClass string `json:"InstanceClass,omitempty"` // modify_spec
	EffectiveTime string `json:"EffectiveTime,omitempty"` // modify_spec
	// OrderType follows from the classes' sizes (modify_spec).
	OrderType string `json:"OrderType,omitempty"`
	// FromClass is the instance's class when the change was asked for
	// (modify_spec), so that the approver and the page show current → new.
	FromClass string `json:"FromClass,omitempty"`
	// FromSecurityIps is the whitelist the portal had set when the change
	// was asked for (set_whitelist).
	FromSecurityIps string `json:"FromSecurityIps,omitempty"`
	// Password is the new password as typed (reset_password): sealed
	// before it is stored, never logged, shown or kept with the change.
	Password string `json:"-"`
	// ConfirmInstanceId is the InstanceId as the person typed it (release).
	ConfirmInstanceId string `json:"-"`
	// ReleaseAfter is the lease's new end (extend_lease), FromReleaseAfter
	// the end it replaces.
	ReleaseAfter     *time.Time `json:"ReleaseAfter,omitempty"`
	FromReleaseAfter *time.Time `json:"FromReleaseAfter,omitempty"`
	// Period is the months a renewal adds (renew).
	Period int `json:"Period,omitempty"`
}

// Details are what the change's audit event records of it: the kind's
// fields as asked (never the password), and what they replace.
func (c Change) Details() Details {
	d := Details{}
	add := func(k DetailKey, v string) {
		if v != "" {
			d[k] = v
		}
	}
	add(KeySecurityIps, c.SecurityIps)
	add(KeyFromSecurityIps, c.FromSecurityIps)
	add(KeyInstanceClass, c.InstanceClass)
	add(KeyFromClass, c.FromClass)
	add(KeyEffectiveTime, c.EffectiveTime)
	add(KeyOrderType, c.OrderType)
	if c.ReleaseAfter != nil {
		d[KeyReleaseAfter] = c.ReleaseAfter.UTC().Format(time.RFC3339)
	}
	if c.FromReleaseAfter != nil {
		d[KeyFrom] = c.FromReleaseAfter.UTC().Format(time.RFC3339)
	}
	if c.Period > 0 {
		d[KeyPeriod] = c.Period
	}
	return d
}

// KindSpec describes one kind of change: the one place its fields, its
// words, its cloud call and its rule are written.
type KindSpec struct {
	Kind RequestKind
	// Label names the change ("Set the IP whitelist"); Says what will
	// happen, in a sentence the form shows above its fields.
	Label string
	Says  string
	// Operation is the cloud call that makes the change.
	Operation string
	// Short names the change in a list or a badge ("Resize").
	Short  string
	Fields []ChangeField
	// refusal says why inst can't have this change at all ("" when it
	// can), whatever is typed.
	refusal func(inst Instance) string
	// check validates in for inst against the catalog and the lease's rule.
	check func(in Input, inst Instance, c checkWith) (Change, FieldErrors)
}

// Kinds are the kinds of change, in the order the instance's page offers
// them.
var Kinds = []KindSpec{
	{
		Kind: KindSetWhitelist, Label: "Set the IP whitelist", Short: "Whitelist", Operation: "ModifySecurityIps",
		Says: "Replaces the addresses allowed to connect (the portal's whitelist group, " + WhitelistGroup + ") with these.",
		Fields: []ChangeField{{Name: "SecurityIps", Label: "Allowed addresses", MaxLen: SecurityIpsMaxLen,
			Help: "IPv4 or IPv6 addresses or CIDR blocks, comma-separated, at most 1,000: 10.0.0.0/8,192.168.1.7"}},
		check: func(in Input, inst Instance, _ checkWith) (Change, FieldErrors) {
			ips, problem := ParseSecurityIps(in["SecurityIps"])
			if problem == "" && ips == inst.SecurityIPs {
				problem = "is the instance's whitelist already: change it, or leave it as it is"
			}
			return Change{SecurityIps: ips, FromSecurityIps: inst.SecurityIPs}, fieldProblem("SecurityIps", problem)
		},
	},
	{
		Kind: KindModifySpec, Label: "Change the instance class", Short: "Resize", Operation: "ModifyInstanceSpec",
		Says: "Moves the instance to another class. It is Changing meanwhile, and keeps serving; the bill follows the new class.",
		Fields: []ChangeField{
			{Name: "InstanceClass", Label: "New instance class", MaxLen: InstanceClassMaxLen,
				Help: "A class offered for the instance's region, zone, type and engine version, other than its own."},
			{Name: "EffectiveTime", Label: "When", Choices: []string{EffectiveImmediately, EffectiveMaintain},
				Help: "Immediately, or in the instance's maintenance window (MaintainTime)."},
		},
		check: checkModifySpec,
	},
	{
		Kind: KindResetPassword, Label: "Reset the password", Short: "Password", Operation: "ModifyInstanceAttribute",
		Says: "Sets a new password for the instance's default account. Clients using the old one are refused from then on.",
		Fields: []ChangeField{{Name: "Password", Label: "New password", Secret: true, MaxLen: PasswordMaxLen,
			Help: "8 to 30 characters with an uppercase letter, a lowercase letter and a digit; stored encrypted until it is set, then erased."}},
		check: func(in Input, _ Instance, _ checkWith) (Change, FieldErrors) {
			pw := in["Password"]
			problem := passwordProblem(pw)
			if pw == "" {
				problem = "is required"
			}
			return Change{Password: pw}, fieldProblem("Password", problem)
		},
	},
	{
		Kind: KindRelease, Label: "Release the instance", Short: "Release", Operation: "DeleteInstance",
		Says: "Deletes the instance and its data for good. Its team's instance count and spend are freed.",
		Fields: []ChangeField{{Name: "ConfirmInstanceId", Label: "Type the InstanceId to confirm", MaxLen: 64,
			Help: "The instance's id, exactly as shown above."}},
		refusal: func(inst Instance) string {
			if inst.ChargeType == ChargePrePaid {
				return "A subscription (PrePaid) instance can't be released early: it ends at its EndTime."
			}
			return ""
		},
		check: func(in Input, inst Instance, _ checkWith) (Change, FieldErrors) {
			typed := in["ConfirmInstanceId"]
			problem := ""
			switch {
			case typed == "":
				problem = "is required: type " + inst.InstanceID + " to confirm"
			case TextProblem(typed) != "":
				problem = TextProblem(typed)
			case typed != inst.InstanceID:
				problem = "must be " + inst.InstanceID + ", exactly: the instance to release"
			}
			return Change{ConfirmInstanceId: typed}, fieldProblem("ConfirmInstanceId", problem)
		},
	},
	{
		Kind: KindExtendLease, Label: "Extend the lease", Short: "Lease", Operation: "LeaseUpdate",
		Says: "Moves the day the portal releases the instance to a later one. Nothing changes in the cloud.",
		Fields: []ChangeField{{Name: "ReleaseAfter", Label: "New end of the lease", MaxLen: 40,
			Help: "A later date (2027-01-31, the end of that day UTC) or RFC 3339 time, within your team's longest lease."}},
		refusal: func(inst Instance) string {
			if inst.ReleaseAfter == nil {
				return "This instance has no lease: nothing to extend."
			}
			return ""
		},
		check: checkExtendLease,
	},
	{
		Kind: KindRenew, Label: "Renew the subscription", Short: "Renew", Operation: "RenewInstance",
		Says: "Adds months to the subscription: its EndTime moves on by that much, and the cloud bills the renewal.",
		Fields: []ChangeField{{Name: "Period", Label: "Months to add", MaxLen: 2,
			Choices: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "12", "24", "36"},
			Help:    "1 to 9, 12, 24 or 36 months."}},
		refusal: func(inst Instance) string {
			if inst.ChargeType != ChargePrePaid {
				return "A pay-as-you-go (PostPaid) instance has nothing to renew: it is billed by the hour until it is released."
			}
			return ""
		},
		check: func(in Input, _ Instance, _ checkWith) (Change, FieldErrors) {
			n, err := strconv.Atoi(in["Period"])
			if err != nil || !slices.Contains([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36}, n) {
				return Change{}, FieldErrors{"Period": "must be 1 to 9, 12, 24 or 36 months"}
			}
			return Change{Period: n}, FieldErrors{}
		},
	},
}

// checkWith is what a kind's rule reads beside the input and the instance.
type checkWith struct {
	cat   *Catalog
	lease LeaseRule
}

// checkExtendLease is extend_lease's rule: a later end than the lease's,
// at least the shortest lease ahead, within the team's longest.
func checkExtendLease(in Input, inst Instance, with checkWith) (Change, FieldErrors) {
	end, problem := ParseReleaseAfter(in["ReleaseAfter"], with.lease)
	if problem == "" && end == nil {
		problem = "is required: the lease's new end"
	}
	if problem == "" && inst.ReleaseAfter != nil && !end.After(*inst.ReleaseAfter) {
		problem = "must be later than the lease's end now, " + inst.ReleaseAfter.UTC().Format(time.RFC3339) + ": a lease is extended, never shortened"
	}
	return Change{ReleaseAfter: end, FromReleaseAfter: inst.ReleaseAfter}, fieldProblem("ReleaseAfter", problem)
}

// ChangeParams are the parameters a change of an instance carries: its
// creation's, at the class the instance has now, with a token of its own
// and no password, so that the approvals queue, the policies and the lists
// read a change like any request.
func ChangeParams(creation Params, class string) Params {
	p := creation
	p.Password, p.Token = "", NewToken()
	if class != "" {
		p.InstanceClass = class
	}
	return p
}

// SameWhitelist reports whether a whitelist group's entries are the
// whitelist the portal set (comma-separated, as ParseSecurityIps wrote it),
// whatever their order.
func SameWhitelist(group []string, set string) bool {
	want := strings.Split(set, ",")
	have := slices.Clone(group)
	slices.Sort(want)
	slices.Sort(have)
	return slices.Equal(have, want)
}

// creation describes the creation as a kind, for the words every kind has.
var creation = KindSpec{Kind: KindCreate, Label: "Create an instance", Short: "Create", Operation: "CreateInstance"}

// Spec is the description of kind k: a change's entry of Kinds, or the
// creation's (also for "", a request stored before kinds existed).
func (k RequestKind) Spec() KindSpec {
	if s, ok := KindOf(k); ok {
		return s
	}
	return creation
}

// IsChange reports whether k changes an existing instance.
func (k RequestKind) IsChange() bool {
	_, ok := KindOf(k)
	return ok
}

// KindNames are the names of the kinds of request: create, then the
// kinds of change in Kinds' order.
func KindNames() []string {
	names := []string{string(KindCreate)}
	for _, s := range Kinds {
		names = append(names, string(s.Kind))
	}
	return names
}

// KindOf returns the kind of change named k; false for create and for any
// other name.
func KindOf(k RequestKind) (KindSpec, bool) {
	for _, s := range Kinds {
		if s.Kind == k {
			return s, true
		}
	}
	return KindSpec{}, false
}

// Refusal says why inst can't have a change of this kind at all ("" when
// it can): nothing changes an instance that was released.
func (s KindSpec) Refusal(inst Instance) string {
	if inst.Released() {
		return "Instance " + inst.InstanceID + " was released: nothing can change it any more."
	}
	if s.refusal != nil {
		return s.refusal(inst)
	}
	return ""
}

// ValidateWith checks a change of this kind to inst: white space around every
// field but a secret one is trimmed, every field's problem is under its
// name, and a field of another kind is ignored. lease is the lease's rule
// (its clock, the shortest lease, the team's longest), which extend_lease
// reads.
func (s KindSpec) ValidateWith(in Input, inst Instance, cat *Catalog, lease LeaseRule) (Change, FieldErrors) {
	clean := make(Input, len(s.Fields))
	for _, f := range s.Fields {
		v := in[f.Name]
		if !f.Secret {
			v = strings.TrimSpace(v)
		}
		clean[f.Name] = v
	}
	c, errs := s.check(clean, inst, checkWith{cat: cat, lease: lease})
	if errs == nil {
		errs = FieldErrors{}
	}
	for _, f := range s.Fields {
		if _, bad := errs[f.Name]; !bad && f.MaxLen > 0 && len(clean[f.Name]) > f.MaxLen {
			errs[f.Name] = fmt.Sprintf("must be at most %d characters long", f.MaxLen)
		}
	}
	return c, errs
}

// fieldProblem is the field errors of one field's problem (none when "").
func fieldProblem(name, problem string) FieldErrors {
	if problem == "" {
		return FieldErrors{}
	}
	return FieldErrors{name: problem}
}

// ParseSecurityIps reads a whitelist as typed: 1 to 1,000 IPv4 or IPv6
// addresses or CIDR blocks, comma-separated (spaces around each ignored),
// none twice. It answers the list as the cloud is sent it (each entry in
// its canonical form, comma-separated), or what is wrong with it.
func ParseSecurityIps(s string) (string, string) {
	if s == "" {
		return "", "is required: at least one address or CIDR block"
	}
	if p := TextProblem(s); p != "" {
		return "", p
	}
	parts := strings.Split(s, ",")
	if len(parts) > SecurityIpsMax {
		return "", fmt.Sprintf("must hold at most %d entries (it holds %d)", SecurityIpsMax, len(parts))
	}
	seen := make(map[string]bool, len(parts))
	out := make([]string, 0, len(parts))
	for i, raw := range parts {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			return "", fmt.Sprintf("has an empty entry (number %d): remove the extra comma", i+1)
		}
		canon, ok := canonicalIP(entry)
		if !ok {
			return "", fmt.Sprintf("has %q, which is not an IPv4 or IPv6 address or CIDR block (such as 10.0.0.0/8)", entry)
		}
		if seen[canon] {
			return "", fmt.Sprintf("has %s twice", entry)
		}
		seen[canon] = true
		out = append(out, canon)
	}
	return strings.Join(out, ","), ""
}

// canonicalIP is an address or CIDR block in its canonical form; false
// when s is neither (a prefix too long for its family, 10.0.0.0/33, is
// neither).
func canonicalIP(s string) (string, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return "", false
		}
		return p.String(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return a.String(), true
}

// OpenToAll reports whether a whitelist lets any address connect (0.0.0.0/0
// or ::/0): allowed, but shown in red to the approver.
func OpenToAll(securityIps string) bool {
	for _, e := range strings.Split(securityIps, ",") {
		if p, err := netip.ParsePrefix(strings.TrimSpace(e)); err == nil && p.Bits() == 0 {
			return true
		}
	}
	return false
}

// checkModifySpec is modify_spec's rule: a class the catalog offers for
// the instance's region, zone, type and engine version, other than its
// own; when, Immediately (the default) or MaintainTime. The order is an
// upgrade unless the new class is known to be smaller.
func checkModifySpec(in Input, inst Instance, with checkWith) (Change, FieldErrors) {
	cat := with.cat
	errs := FieldErrors{}
	c := Change{InstanceClass: in["InstanceClass"], EffectiveTime: in["EffectiveTime"], OrderType: OrderUpgrade,
		FromClass: inst.InstanceClass}
	if c.EffectiveTime == "" {
		c.EffectiveTime = EffectiveImmediately
	}
	if c.EffectiveTime != EffectiveImmediately && c.EffectiveTime != EffectiveMaintain {
		errs["EffectiveTime"] = "must be " + EffectiveImmediately + " or " + EffectiveMaintain
	}
	class := c.InstanceClass
	switch {
	case class == "":
		errs["InstanceClass"] = "is required"
	case idProblem(class, InstanceClassMaxLen) != "":
		errs["InstanceClass"] = idProblem(class, InstanceClassMaxLen)
	case class == inst.InstanceClass:
		errs["InstanceClass"] = "is the instance's class already: choose another"
	case cat.knowsOffersIn(inst.RegionID):
		to, ok := cat.Offer(inst.RegionID, inst.ZoneID, inst.InstanceType, inst.EngineVersion, class)
		if !ok {
			var classes []string
			for _, o := range cat.OffersFor(inst.RegionID, inst.ZoneID, inst.InstanceType, inst.EngineVersion) {
				if o.InstanceClass != inst.InstanceClass {
					classes = append(classes, o.InstanceClass)
				}
			}
			errs["InstanceClass"] = fmt.Sprintf("is not offered for this instance (%s %s in %s)",
				inst.InstanceType, inst.EngineVersion, cmp.Or(inst.ZoneID, inst.RegionID)) + chooseFrom(classes)
			break
		}
		from, known := cat.Offer(inst.RegionID, inst.ZoneID, inst.InstanceType, inst.EngineVersion, inst.InstanceClass)
		if known && from.CapacityMB > 0 && to.CapacityMB > 0 && to.CapacityMB < from.CapacityMB {
			c.OrderType = OrderDowngrade
		}
	}
	return c, errs
}
