package domain

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the CreateInstance parameters: those the API reference states,
// and the ones KVPortal adds so that nothing pathological is stored.
const (
	InstanceNameMinLen = 2
	InstanceNameMaxLen = 128
	PasswordMinLen     = 8
	PasswordMaxLen     = 30
	TokenMaxLen        = 64
	// IDMaxLen bounds RegionId, ZoneId, VpcId, VSwitchId, SrcDBInstanceId
	// and BackupId.
	IDMaxLen = 64
	// InstanceClassMaxLen bounds InstanceClass; real classes reach about 60
	// characters.
	InstanceClassMaxLen = 128
	// PortMin and PortMax bound Port: a TCP port.
	PortMin = 1
	PortMax = 65535
)

// Defaults of the optional enumerated parameters, as the reference states them.
const (
	DefaultChargeType    = ChargePostPaid
	DefaultNetworkType   = NetworkClassic
	DefaultInstanceType  = TypeRedis
	DefaultEngineVersion = "2.8"
	DefaultPort          = "6379"
)

const (
	// instanceNameForbidden are the characters the reference refuses in an
	// instance name, besides spaces.
	instanceNameForbidden = `@/:="“”<>{}[]`
	// passwordForbidden are the symbols the reference refuses in a password.
	passwordForbidden = "!<>()[]{},`~.-_@#$%^&*"

	vpcIDPrefix     = "vpc-"
	vSwitchIDPrefix = "vsw-"

	// Messages shared by several fields.
	msgOnlyWithVPC = "can be set only with a VPC network (NetworkType VPC)"
	msgNotASCII    = "must contain only ASCII letters, digits and symbols"
	msgSpaces      = "must not contain spaces"
)

// Validate checks in against the CreateInstance rules of the API reference
// and, when cat is not nil, against the catalog (see Catalog for how a partial
// catalog is read). Surrounding white space is trimmed from every field except
// Password, which is taken verbatim.
//
// When in is valid it returns the canonical Params and a nil FieldErrors.
// Otherwise it returns zero Params and one message per faulty field, keyed by
// the API parameter name. A message completes a sentence that starts with the
// field's name ("[InstanceName] must start with a letter or a Chinese
// character"); it never repeats the password. Validate never panics.
func Validate(in Input, cat *Catalog) (Params, FieldErrors) {
	v := &validation{in: trimInput(in), cat: cat, errs: FieldErrors{}, done: make(map[string]bool, len(Table))}
	for _, m := range Table {
		v.ok(m.Name)
	}
	if len(v.errs) > 0 {
		return Params{}, v.errs
	}
	return v.p, nil
}

// validation is one run of Validate: the trimmed input, what was accepted so
// far and the errors found.
type validation struct {
	in   Input
	cat  *Catalog
	p    Params
	errs FieldErrors
	// done records the parameters checked: a parameter's check may need
	// another's outcome first (Period needs ChargeType), so each runs once,
	// when first needed.
	done map[string]bool
}

// ok runs the check of the parameter name unless it ran already, and
// reports whether the parameter is valid. A check sets the parameter's field
// of v.p and returns what is wrong with it, "" if nothing.
func (v *validation) ok(name string) bool {
	if !v.done[name] {
		v.done[name] = true
		if problem := checks[name](v); problem != "" {
			v.errs[name] = problem
		}
	}
	_, bad := v.errs[name]
	return !bad
}

func (v *validation) checkInstanceName() string {
	v.p.InstanceName = v.in["InstanceName"]
	return instanceNameProblem(v.p.InstanceName)
}

func (v *validation) checkPassword() string {
	v.p.Password = v.in["Password"]
	return passwordProblem(v.p.Password)
}

func (v *validation) checkToken() string {
	v.p.Token = v.in["Token"]
	if v.p.Token == "" {
		return ""
	}
	return idProblem(v.p.Token, TokenMaxLen)
}

func (v *validation) checkChargeType() string {
	charge, problem := enumValue(v.in["ChargeType"], DefaultChargeType, ChargeTypes())
	v.p.ChargeType = charge
	return problem
}

// checkPeriod checks Period, which goes with PrePaid: with PostPaid a typed
// Period is dropped, not refused.
func (v *validation) checkPeriod() string {
	v.ok("ChargeType")
	charge, period := v.p.ChargeType, v.in["Period"]
	switch {
	case charge == ChargePrePaid && period == "":
		return "is required with PrePaid billing: " + periodList + " months"
	case charge == ChargePrePaid, charge == "" && period != "":
		var problem string
		v.p.Period, problem = parsePeriod(period)
		return problem
	}
	return ""
}

func (v *validation) checkNetworkType() string {
	network, problem := enumValue(v.in["NetworkType"], DefaultNetworkType, NetworkTypes())
	v.p.NetworkType = network
	return problem
}

func (v *validation) checkVpcID() string {
	v.p.VpcId = v.in["VpcId"]
	return v.vpcFieldProblem(v.p.VpcId, prefixedIDProblem(v.p.VpcId, vpcIDPrefix, "a VPC"), true)
}

func (v *validation) checkVSwitchID() string {
	v.p.VSwitchId = v.in["VSwitchId"]
	return v.vpcFieldProblem(v.p.VSwitchId, prefixedIDProblem(v.p.VSwitchId, vSwitchIDPrefix, "a VSwitch"), true)
}

func (v *validation) checkPrivateIP() string {
	v.p.PrivateIp = v.in["PrivateIp"]
	return v.vpcFieldProblem(v.p.PrivateIp, privateIPProblem(v.p.PrivateIp), false)
}

// vpcFieldProblem is the problem of a field that goes with a VPC network:
// refused with Classic, required with VPC when requiredWithVPC, else its
// own problem.
func (v *validation) vpcFieldProblem(value, problem string, requiredWithVPC bool) string {
	v.ok("NetworkType")
	switch network := v.p.NetworkType; {
	case network == NetworkClassic && value != "":
		return msgOnlyWithVPC
	case network == NetworkVPC && value == "" && requiredWithVPC:
		return "is required with a VPC network"
	}
	return problem
}

// checkSrcDBInstanceID checks the instance a backup set belongs to.
func (v *validation) checkSrcDBInstanceID() string {
	v.p.SrcDBInstanceId = v.in["SrcDBInstanceId"]
	if v.p.SrcDBInstanceId == "" {
		return ""
	}
	return idProblem(v.p.SrcDBInstanceId, IDMaxLen)
}

// checkBackupID checks BackupId: a backup set is named only together with
// the instance it belongs to.
func (v *validation) checkBackupID() string {
	v.p.BackupId = v.in["BackupId"]
	switch {
	case v.p.BackupId == "":
		return ""
	case v.in["SrcDBInstanceId"] == "":
		return "needs SrcDBInstanceId, the ID of the instance the backup set belongs to"
	}
	return idProblem(v.p.BackupId, IDMaxLen)
}

// checkPort checks Port: the port the instance listens on, the default
// when left empty.
func (v *validation) checkPort() string {
	s := cmp.Or(v.in["Port"], DefaultPort)
	if problem := TextProblem(s); problem != "" {
		return problem
	}
	port, err := strconv.Atoi(s)
	if err != nil || port < PortMin || port > PortMax || strconv.Itoa(port) != s {
		return fmt.Sprintf("must be a port number: a whole number from %d to %d", PortMin, PortMax)
	}
	v.p.Port = port
	return ""
}

// checkInstanceType checks InstanceType, against the catalog when it knows
// its offers.
func (v *validation) checkInstanceType() string {
	kind, problem := enumValue(v.in["InstanceType"], DefaultInstanceType, InstanceTypeChoices())
	if problem == "" && !v.cat.allowsInstanceType(kind) {
		offered := v.cat.AllowedInstanceTypes()
		kind, problem = "", "is not available: the cloud offers no "+kind+" instances at present"+chooseFrom(offered)
	}
	v.p.InstanceType = kind
	return problem
}

// checkEngineVersion checks EngineVersion against the versions of the
// instance type.
func (v *validation) checkEngineVersion() string {
	v.ok("InstanceType")
	kind := v.p.InstanceType
	if kind == "" {
		// Without a type the allowed versions are unknown: check the text only.
		return TextProblem(v.in["EngineVersion"])
	}
	if s := cmp.Or(v.in["EngineVersion"], DefaultEngineVersion); v.cat.allowsEngineVersion(kind, s) {
		v.p.EngineVersion = s
		return ""
	}
	var problem string
	v.p.EngineVersion, problem = engineVersion(v.in["EngineVersion"], v.cat.AllowedEngineVersions(kind), kind)
	return problem
}

// checkRegion checks RegionId, against the catalog when it knows regions.
func (v *validation) checkRegion() string {
	id := v.in["RegionId"]
	v.p.RegionId = id
	problem := idProblem(id, IDMaxLen)
	if problem == "" && v.cat.knowsRegions() {
		if _, ok := v.cat.Region(id); !ok {
			problem = "is not a region the cloud offers" + chooseFrom(v.cat.regionIDs())
		}
	}
	return requiredProblem(id, problem, v.cat.regionIDs())
}

// checkZone checks ZoneId, against the region's zones when the region is
// valid.
func (v *validation) checkZone() string {
	region, id := v.in["RegionId"], v.in["ZoneId"]
	v.p.ZoneId = id
	if id == "" {
		return ""
	}
	problem := idProblem(id, IDMaxLen)
	if problem == "" && v.ok("RegionId") && v.cat.knowsZones(region) && !v.cat.HasZone(region, id) {
		problem = "is not a zone of " + region + chooseFrom(v.cat.zoneIDs(region))
	}
	return problem
}

// checkInstanceClass checks InstanceClass: for a valid region and a valid
// (or empty) zone, against the catalog's offers in that region when it knows
// them, for the instance type and engine version when those are valid.
func (v *validation) checkInstanceClass() string {
	class, region := v.in["InstanceClass"], v.in["RegionId"]
	v.p.InstanceClass = class
	if !v.ok("RegionId") {
		return requiredProblem(class, idProblem(class, InstanceClassMaxLen), nil)
	}
	zone := ""
	if v.ok("ZoneId") {
		zone = v.in["ZoneId"]
	}
	v.ok("EngineVersion") // and with it InstanceType
	kind, version := v.p.InstanceType, v.p.EngineVersion
	if kind == "" || version == "" || !v.cat.knowsOffersIn(region) {
		return requiredProblem(class, idProblem(class, InstanceClassMaxLen), nil)
	}
	if _, offered := v.cat.Offer(region, zone, kind, version, class); offered && class != "" && idProblem(class, InstanceClassMaxLen) == "" {
		return ""
	}
	offers := v.cat.OffersFor(region, zone, kind, version)
	classes := make([]string, 0, len(offers))
	for _, o := range offers {
		classes = append(classes, o.InstanceClass)
	}
	where := region
	if zone != "" {
		where = "zone " + zone
	}
	problem := idProblem(class, InstanceClassMaxLen)
	switch {
	case problem != "" || class == "":
	case len(classes) == 0:
		problem = fmt.Sprintf("cannot be chosen: no class is offered in %s for %s %s; choose another zone, engine version or region", where, kind, version)
	case !slices.Contains(classes, class):
		problem = fmt.Sprintf("is not offered in %s for %s %s", where, kind, version) + chooseFrom(classes)
	}
	return requiredProblem(class, problem, classes)
}

// requiredProblem is problem for a required field, or "is required" when
// its value is empty, naming the choices when given and short.
func requiredProblem(value, problem string, choices []string) string {
	if value == "" {
		return "is required" + chooseFrom(choices)
	}
	return problem
}

// trimInput trims surrounding white space from every field but the
// secret ones, taken verbatim; fields that are not parameters are dropped.
func trimInput(in Input) Input {
	out := make(Input, len(Table))
	for _, m := range Table {
		s := in[m.Name]
		if m.Kind != KindSecret {
			s = strings.TrimSpace(s)
		}
		out[m.Name] = s
	}
	return out
}

// instanceNameProblem says what is wrong with an instance name, "" if nothing.
func instanceNameProblem(name string) string {
	if name == "" {
		return ""
	}
	if problem := TextProblem(name); problem != "" {
		return problem
	}
	if n := utf8.RuneCountInString(name); n < InstanceNameMinLen || n > InstanceNameMaxLen {
		return fmt.Sprintf("must be %d to %d characters long (it has %d)", InstanceNameMinLen, InstanceNameMaxLen, n)
	}
	if first, _ := utf8.DecodeRuneInString(name); !unicode.IsLetter(first) {
		return "must start with a letter or a Chinese character"
	}
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			return msgSpaces
		case strings.ContainsRune(instanceNameForbidden, r):
			return fmt.Sprintf("must not contain %c (none of @ / : = \" “ ” < > { } [ ] or spaces)", r)
		}
	}
	return ""
}

// passwordProblem says what is wrong with a password, "" if nothing. It never
// quotes the password, nor says where in it the problem is.
func passwordProblem(password string) string {
	if password == "" {
		return ""
	}
	var nonASCII, space, control, forbidden, upper, lower, digit bool
	for i := 0; i < len(password); i++ {
		c := password[i]
		nonASCII = nonASCII || c >= utf8.RuneSelf
		space = space || c == ' ' || (c >= '\t' && c <= '\r')
		control = control || c < ' ' || c == 0x7f
		forbidden = forbidden || strings.IndexByte(passwordForbidden, c) >= 0
		upper = upper || ('A' <= c && c <= 'Z')
		lower = lower || ('a' <= c && c <= 'z')
		digit = digit || ('0' <= c && c <= '9')
	}
	switch {
	case nonASCII:
		return msgNotASCII + " (no accented letters, Chinese characters or other non-ASCII characters)"
	case space:
		return "must not contain spaces, tabs or line breaks"
	case control:
		return "must not contain control characters"
	case forbidden:
		return "must not contain any of these symbols: ! < > ( ) [ ] { } , ` ~ . - _ @ # $ % ^ & *"
	case len(password) < PasswordMinLen:
		return fmt.Sprintf("must be at least %d characters long", PasswordMinLen)
	case len(password) > PasswordMaxLen:
		return fmt.Sprintf("must be at most %d characters long", PasswordMaxLen)
	}
	return missingClassesProblem(upper, lower, digit)
}

// missingClassesProblem names the kinds of character a password lacks, "" if
// it has them all.
func missingClassesProblem(upper, lower, digit bool) string {
	var missing []string
	if !upper {
		missing = append(missing, "an uppercase letter")
	}
	if !lower {
		missing = append(missing, "a lowercase letter")
	}
	if !digit {
		missing = append(missing, "a digit")
	}
	if len(missing) == 0 {
		return ""
	}
	return "must contain at least one uppercase letter, one lowercase letter and one digit (it lacks " + orList(missing, "and") + ")"
}

// TextProblem says what makes s unfit to store in any field: bytes that are
// not UTF-8, control or invisible formatting characters. "" if nothing.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	if strings.IndexFunc(s, isControl) >= 0 {
		return "must not contain control characters (such as tabs, line breaks or zero-width characters)"
	}
	return ""
}

// MultilineTextProblem is TextProblem for free text written in a text
// area (a rejection reason): line breaks and tabs are allowed there, every
// other control or invisible formatting character is not.
func MultilineTextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	if strings.IndexFunc(s, func(r rune) bool { return isControl(r) && !isLayout(r) }) >= 0 {
		return "must not contain control characters"
	}
	return ""
}

// isControl reports whether r is a control character or an invisible
// formatting character (zero-width space, byte order mark, bidirectional
// overrides).
func isControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// isLayout reports whether r is one of the control characters that lay out
// multi-line text: line feed, carriage return and tab.
func isLayout(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }

// idProblem says what is wrong with an identifier or token: printable ASCII
// without spaces, at most maxLen characters. "" if nothing.
func idProblem(id string, maxLen int) string {
	if problem := TextProblem(id); problem != "" {
		return problem
	}
	for _, r := range id {
		switch {
		case unicode.IsSpace(r):
			return msgSpaces
		case r > '~':
			return msgNotASCII
		}
	}
	if len(id) > maxLen {
		return fmt.Sprintf("must be at most %d characters long (it has %d)", maxLen, len(id))
	}
	return ""
}

// prefixedIDProblem says what is wrong with an optional ID that starts with
// prefix, the ID of what (e.g. "a VPC"). "" if nothing.
func prefixedIDProblem(id, prefix, what string) string {
	switch {
	case id == "":
		return ""
	case idProblem(id, IDMaxLen) != "":
		return idProblem(id, IDMaxLen)
	case !strings.HasPrefix(id, prefix):
		return fmt.Sprintf("must be the ID of %s, which starts with %q", what, prefix)
	case id == prefix:
		return fmt.Sprintf("must go on after %q: the whole ID of %s", prefix, what)
	}
	return ""
}

// privateIPProblem says what is wrong with an optional private IP address.
// "" if nothing.
func privateIPProblem(ip string) string {
	if ip == "" {
		return ""
	}
	if problem := TextProblem(ip); problem != "" {
		return problem
	}
	addr, err := netip.ParseAddr(ip)
	switch {
	case err == nil && !addr.Is4():
		return "must be an IPv4 address such as 192.168.0.10; IPv6 is not supported"
	case err != nil || addr.String() != ip:
		return "must be an IPv4 address such as 192.168.0.10: four numbers from 0 to 255, separated by dots, without leading zeros"
	case addr.IsUnspecified(), addr.IsLoopback(), addr.IsMulticast(), addr.IsLinkLocalUnicast(),
		addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "must be a host address in the VSwitch's range, not an unspecified, loopback, link-local, multicast or broadcast address"
	}
	return ""
}

// parsePeriod reads a PrePaid period in months.
func parsePeriod(s string) (int, string) {
	if problem := TextProblem(s); problem != "" {
		return 0, problem
	}
	for _, months := range PeriodChoices() {
		if s == strconv.Itoa(months) {
			return months, ""
		}
	}
	return 0, "must be a whole number of months: " + periodList
}

// enumValue returns the canonical spelling of s among choices, ignoring case,
// or def when s is empty.
func enumValue(s, def string, choices []string) (string, string) {
	if s == "" {
		return def, ""
	}
	if problem := TextProblem(s); problem != "" {
		return "", problem
	}
	for _, c := range choices {
		if strings.EqualFold(s, c) {
			return c, ""
		}
	}
	return "", "must be " + orList(choices, "or")
}

// engineVersion returns the engine version s, or the default when s is empty,
// when it is one of allowed for the instance type kind.
func engineVersion(s string, allowed []string, kind string) (string, string) {
	defaulted := s == ""
	if defaulted {
		s = DefaultEngineVersion
	} else if problem := TextProblem(s); problem != "" {
		return "", problem
	}
	switch {
	case slices.Contains(allowed, s):
		return s, ""
	case len(allowed) == 0:
		return "", "cannot be chosen: no engine version of " + kind + " is offered at present"
	case defaulted:
		return "", fmt.Sprintf("is required: the default %s is not offered for %s; choose %s", DefaultEngineVersion, kind, orList(allowed, "or"))
	}
	return "", fmt.Sprintf("must be %s for %s", orList(allowed, "or"), kind)
}

// Beyond these, a message names no choices: the form lists them.
const (
	maxNamedChoices     = 8
	maxNamedChoicesText = 160
)

// chooseFrom returns "; choose one of: a, b, c" to append to a message, or ""
// when there are no choices or too many to name.
func chooseFrom(choices []string) string {
	text := strings.Join(choices, ", ")
	if len(choices) == 0 || len(choices) > maxNamedChoices || len(text) > maxNamedChoicesText {
		return ""
	}
	return "; choose one of: " + text
}

// orList joins items as "a", "a or b", "a, b or c" (with conjunction "or").
// It is meant for short, non-empty lists.
func orList(items []string, conjunction string) string {
	switch len(items) {
	case 0:
		return "nothing"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conjunction + " " + items[len(items)-1]
}

// NewPasswordProblem says what is wrong with a new instance password, the
// one a retry sends instead of an erased one: required, and the form's
// rules. "" if nothing.
func NewPasswordProblem(password string) string {
	if password == "" {
		return "is required: the one given first was erased"
	}
	return passwordProblem(password)
}
