package rkvstore

import (
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
)

// Defaults of the optional enumerated parameters, as the reference states them.
const (
	DefaultChargeType    = ChargePostPaid
	DefaultNetworkType   = NetworkClassic
	DefaultInstanceType  = TypeRedis
	DefaultEngineVersion = "2.8"
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
	v := &validation{in: trimInput(in), cat: cat, errs: FieldErrors{}}
	v.checkInstanceName()
	v.checkPassword()
	v.checkToken()
	v.checkBilling()
	v.checkNetwork()
	v.checkBackupSource()
	v.checkProduct()
	v.checkPlacement()
	if len(v.errs) > 0 {
		return Params{}, v.errs
	}
	return v.p, nil
}

// Input returns p as form values: for cloning a request or showing it again.
// The password is left out, and a zero Period is an empty field.
func (p Params) Input() Input {
	period := ""
	if p.Period != 0 {
		period = strconv.Itoa(p.Period)
	}
	return Input{
		InstanceName:    p.InstanceName,
		InstanceClass:   p.InstanceClass,
		RegionId:        p.RegionId,
		ZoneId:          p.ZoneId,
		ChargeType:      p.ChargeType,
		Period:          period,
		Token:           p.Token,
		NetworkType:     p.NetworkType,
		VpcId:           p.VpcId,
		VSwitchId:       p.VSwitchId,
		PrivateIp:       p.PrivateIp,
		SrcDBInstanceId: p.SrcDBInstanceId,
		BackupId:        p.BackupId,
		InstanceType:    p.InstanceType,
		EngineVersion:   p.EngineVersion,
	}
}

// RuleHelp returns the rule of a CreateInstance field in one short sentence,
// for the form to show beside the field; "" for an unknown field name.
func RuleHelp(field string) string {
	switch field {
	case "InstanceName":
		return "Optional. 2–128 characters, starting with a letter or Chinese character; no spaces or @ / : = \" “ ” < > { } [ ]."
	case "Password":
		return "Optional. 8–30 ASCII characters with an uppercase letter, a lowercase letter and a digit; no spaces or ! < > ( ) [ ] { } , ` ~ . - _ @ # $ % ^ & *."
	case "InstanceClass":
		return "Required. The instance class (size and architecture), e.g. redis.master.small.default."
	case "RegionId":
		return "Required. The region to create the instance in, e.g. cn-hangzhou."
	case "ZoneId":
		return "Optional. A zone of the region, e.g. cn-hangzhou-b."
	case "ChargeType":
		return "PostPaid (pay as you go, the default) or PrePaid (subscription)."
	case "Period":
		return "Months paid in advance with PrePaid: 1–9, 12, 24 or 36. Ignored with PostPaid."
	case "Token":
		return "Optional idempotency token: up to 64 ASCII characters, no spaces. Left empty, one is generated."
	case "NetworkType":
		return "Classic (the default) or VPC."
	case "VpcId":
		return "Required with VPC, allowed only with VPC. The VPC's ID, starting with vpc-."
	case "VSwitchId":
		return "Required with VPC, allowed only with VPC. The VSwitch's ID, starting with vsw-."
	case "PrivateIp":
		return "Optional, only with VPC. An IPv4 address in the VSwitch's range, e.g. 192.168.0.10."
	case "SrcDBInstanceId":
		return "Optional. The instance whose backup set the new instance is created from."
	case "BackupId":
		return "Optional, needs SrcDBInstanceId. The backup set to create the instance from."
	case "InstanceType":
		return "Redis (the default) or Memcache."
	case "EngineVersion":
		return "2.8 (the default) or 4.0; newer versions where the cloud offers them."
	}
	return ""
}

// validation is one run of Validate: the trimmed input, what was accepted so
// far and the errors found.
type validation struct {
	in   Input
	cat  *Catalog
	p    Params
	errs FieldErrors
}

// fail records problem as the error of field, unless problem is empty.
func (v *validation) fail(field, problem string) {
	if problem != "" {
		v.errs[field] = problem
	}
}

func (v *validation) checkInstanceName() {
	v.p.InstanceName = v.in.InstanceName
	v.fail("InstanceName", instanceNameProblem(v.in.InstanceName))
}

func (v *validation) checkPassword() {
	v.p.Password = v.in.Password
	v.fail("Password", passwordProblem(v.in.Password))
}

func (v *validation) checkToken() {
	v.p.Token = v.in.Token
	if v.in.Token != "" {
		v.fail("Token", idProblem(v.in.Token, TokenMaxLen))
	}
}

// checkBilling checks ChargeType and Period. With PostPaid a typed Period is
// dropped, not refused.
func (v *validation) checkBilling() {
	charge, problem := enumValue(v.in.ChargeType, DefaultChargeType, ChargeTypes())
	v.p.ChargeType = charge
	v.fail("ChargeType", problem)
	switch {
	case charge == ChargePrePaid && v.in.Period == "":
		v.fail("Period", "is required with PrePaid billing: 1–9, 12, 24 or 36 months")
	case charge == ChargePrePaid, charge == "" && v.in.Period != "":
		v.p.Period, problem = parsePeriod(v.in.Period)
		v.fail("Period", problem)
	}
}

// checkNetwork checks NetworkType and the fields that go with a VPC.
func (v *validation) checkNetwork() {
	network, problem := enumValue(v.in.NetworkType, DefaultNetworkType, NetworkTypes())
	v.p.NetworkType = network
	v.fail("NetworkType", problem)

	v.p.VpcId, v.p.VSwitchId, v.p.PrivateIp = v.in.VpcId, v.in.VSwitchId, v.in.PrivateIp
	vpcFields := []struct {
		name, value, problem string
		requiredWithVPC      bool
	}{
		{"VpcId", v.in.VpcId, prefixedIDProblem(v.in.VpcId, vpcIDPrefix, "a VPC"), true},
		{"VSwitchId", v.in.VSwitchId, prefixedIDProblem(v.in.VSwitchId, vSwitchIDPrefix, "a VSwitch"), true},
		{"PrivateIp", v.in.PrivateIp, privateIPProblem(v.in.PrivateIp), false},
	}
	for _, f := range vpcFields {
		switch {
		case network == NetworkClassic && f.value != "":
			v.fail(f.name, msgOnlyWithVPC)
		case network == NetworkVPC && f.value == "" && f.requiredWithVPC:
			v.fail(f.name, "is required with a VPC network")
		default:
			v.fail(f.name, f.problem)
		}
	}
}

// checkBackupSource checks SrcDBInstanceId and BackupId: a backup set is
// named only together with the instance it belongs to.
func (v *validation) checkBackupSource() {
	v.p.SrcDBInstanceId, v.p.BackupId = v.in.SrcDBInstanceId, v.in.BackupId
	if v.in.SrcDBInstanceId != "" {
		v.fail("SrcDBInstanceId", idProblem(v.in.SrcDBInstanceId, IDMaxLen))
	}
	switch {
	case v.in.BackupId == "":
	case v.in.SrcDBInstanceId == "":
		v.fail("BackupId", "needs SrcDBInstanceId, the ID of the instance the backup set belongs to")
	default:
		v.fail("BackupId", idProblem(v.in.BackupId, IDMaxLen))
	}
}

// checkProduct checks InstanceType and EngineVersion, against the catalog
// when it knows its offers.
func (v *validation) checkProduct() {
	kind, problem := enumValue(v.in.InstanceType, DefaultInstanceType, InstanceTypeChoices())
	if offered := v.cat.AllowedInstanceTypes(); problem == "" && !slices.Contains(offered, kind) {
		kind, problem = "", "is not available: the cloud offers no "+kind+" instances at present"+chooseFrom(offered)
	}
	v.p.InstanceType = kind
	v.fail("InstanceType", problem)
	if kind == "" {
		// Without a type the allowed versions are unknown: check the text only.
		v.fail("EngineVersion", textProblem(v.in.EngineVersion))
		return
	}
	v.p.EngineVersion, problem = engineVersion(v.in.EngineVersion, v.cat.AllowedEngineVersions(kind), kind)
	v.fail("EngineVersion", problem)
}

// checkPlacement checks RegionId, ZoneId and InstanceClass, against the
// catalog when it knows them. It runs after checkProduct.
func (v *validation) checkPlacement() {
	v.p.RegionId = v.in.RegionId
	v.p.ZoneId = v.in.ZoneId
	v.p.InstanceClass = v.in.InstanceClass

	regionOK := v.checkRegion()
	zoneOK := v.checkZone(regionOK)
	if !regionOK {
		v.failRequired("InstanceClass", v.in.InstanceClass, idProblem(v.in.InstanceClass, InstanceClassMaxLen), nil)
		return
	}
	zone := ""
	if zoneOK {
		zone = v.in.ZoneId
	}
	v.checkInstanceClass(zone)
}

// checkRegion checks RegionId and reports whether it is valid.
func (v *validation) checkRegion() bool {
	id := v.in.RegionId
	problem := idProblem(id, IDMaxLen)
	if problem == "" && v.cat.knowsRegions() {
		if _, ok := v.cat.Region(id); !ok {
			problem = "is not a region the cloud offers" + chooseFrom(v.cat.regionIDs())
		}
	}
	v.failRequired("RegionId", id, problem, v.cat.regionIDs())
	return id != "" && problem == ""
}

// checkZone checks ZoneId, against the region's zones when the region is
// valid, and reports whether ZoneId is a valid zone (not merely empty).
func (v *validation) checkZone(regionOK bool) bool {
	region, id := v.in.RegionId, v.in.ZoneId
	if id == "" {
		return false
	}
	problem := idProblem(id, IDMaxLen)
	if problem == "" && regionOK && v.cat.knowsZones(region) && !v.cat.HasZone(region, id) {
		problem = "is not a zone of " + region + chooseFrom(v.cat.zoneIDs(region))
	}
	v.fail("ZoneId", problem)
	return problem == ""
}

// checkInstanceClass checks InstanceClass for a valid region and a valid (or
// empty) zone: against the catalog's offers in that region, when it knows
// them, for the instance type and engine version when those are valid.
func (v *validation) checkInstanceClass(zone string) {
	class, region := v.in.InstanceClass, v.in.RegionId
	kind, version := v.p.InstanceType, v.p.EngineVersion
	if kind == "" || version == "" || !v.cat.knowsOffersIn(region) {
		v.failRequired("InstanceClass", class, idProblem(class, InstanceClassMaxLen), nil)
		return
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
	v.failRequired("InstanceClass", class, problem, classes)
}

// failRequired records problem as the error of a required field, or "is
// required" when its value is empty, naming the choices when given and short.
func (v *validation) failRequired(field, value, problem string, choices []string) {
	if value == "" {
		problem = "is required" + chooseFrom(choices)
	}
	v.fail(field, problem)
}

// trimInput trims surrounding white space from every field but Password.
func trimInput(in Input) Input {
	return Input{
		InstanceName:    strings.TrimSpace(in.InstanceName),
		Password:        in.Password,
		InstanceClass:   strings.TrimSpace(in.InstanceClass),
		RegionId:        strings.TrimSpace(in.RegionId),
		ZoneId:          strings.TrimSpace(in.ZoneId),
		ChargeType:      strings.TrimSpace(in.ChargeType),
		Period:          strings.TrimSpace(in.Period),
		Token:           strings.TrimSpace(in.Token),
		NetworkType:     strings.TrimSpace(in.NetworkType),
		VpcId:           strings.TrimSpace(in.VpcId),
		VSwitchId:       strings.TrimSpace(in.VSwitchId),
		PrivateIp:       strings.TrimSpace(in.PrivateIp),
		SrcDBInstanceId: strings.TrimSpace(in.SrcDBInstanceId),
		BackupId:        strings.TrimSpace(in.BackupId),
		InstanceType:    strings.TrimSpace(in.InstanceType),
		EngineVersion:   strings.TrimSpace(in.EngineVersion),
	}
}

// instanceNameProblem says what is wrong with an instance name, "" if nothing.
func instanceNameProblem(name string) string {
	if name == "" {
		return ""
	}
	if problem := textProblem(name); problem != "" {
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

// textProblem says what makes s unfit to store in any field: bytes that are
// not UTF-8, control or invisible formatting characters. "" if nothing.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	if strings.IndexFunc(s, isControl) >= 0 {
		return "must not contain control characters (such as tabs, line breaks or zero-width characters)"
	}
	return ""
}

// isControl reports whether r is a control character or an invisible
// formatting character (zero-width space, byte order mark, bidirectional
// overrides).
func isControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// idProblem says what is wrong with an identifier or token: printable ASCII
// without spaces, at most maxLen characters. "" if nothing.
func idProblem(id string, maxLen int) string {
	if problem := textProblem(id); problem != "" {
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
	if problem := textProblem(ip); problem != "" {
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
	if problem := textProblem(s); problem != "" {
		return 0, problem
	}
	for _, months := range PeriodChoices() {
		if s == strconv.Itoa(months) {
			return months, ""
		}
	}
	return 0, "must be a whole number of months: 1–9, 12, 24 or 36"
}

// enumValue returns the canonical spelling of s among choices, ignoring case,
// or def when s is empty.
func enumValue(s, def string, choices []string) (string, string) {
	if s == "" {
		return def, ""
	}
	if problem := textProblem(s); problem != "" {
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
	} else if problem := textProblem(s); problem != "" {
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
