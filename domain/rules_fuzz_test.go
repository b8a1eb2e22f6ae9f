package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzValidate checks that Validate never panics, that it either accepts
// (nil errors, canonical Params) or refuses (zero Params, a message per
// faulty field), and that whatever it accepts obeys every rule as re-checked
// by checkAccepted, written independently of rules.go.
func FuzzValidate(f *testing.F) {
	seeds := []Input{
		{"RegionId": "cn-hangzhou", "InstanceClass": "redis.master.small.default"},
		{"RegionId": "cn-hangzhou", "InstanceClass": "redis.master.small.default", "Password": "Qa123456", "InstanceName": "缓存实例"},
		{"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-g", "InstanceClass": "redis.amber.master.2g", "InstanceType": "redis", "EngineVersion": "5.0"},
		{"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-b", "InstanceClass": "memcache.master.small.default", "InstanceType": "Memcache", "EngineVersion": "4.0"},
		{"RegionId": "cn-shanghai", "InstanceClass": "redis.master.large.default", "EngineVersion": "4.0", "ChargeType": "prepaid", "Period": "12"},
		{"RegionId": "ap-southeast-1", "InstanceClass": "x", "ChargeType": "PostPaid", "Period": "abc", "Token": NewToken()},
		{"RegionId": "cn-hangzhou", "InstanceClass": "redis.master.small.default", "NetworkType": "vpc", "VpcId": "vpc-bp1", "VSwitchId": "vsw-bp1", "PrivateIp": "192.168.0.10"},
		{"RegionId": "cn-hangzhou", "InstanceClass": "redis.master.small.default", "SrcDBInstanceId": "r-bp1", "BackupId": "123"},
		{"RegionId": " cn-hangzhou ", "InstanceClass": "\tredis.master.small.default\n", "InstanceName": " Ab ", "Password": "Ab1+=?/:;'\"|\\"},
		{"InstanceName": "1@", "Password": "abc", "ChargeType": "PrePaid", "Period": "1.5", "NetworkType": "Classic", "VpcId": "vpc-1", "PrivateIp": "::ffff:10.0.0.1"},
		{"RegionId": "cn-hangzhou", "InstanceClass": "c", "PrivateIp": "010.0.0.1", "Token": strings.Repeat("t", 65), "BackupId": "b"},
		{"RegionId": "\xff", "InstanceClass": "\x00", "InstanceName": "a\u200bb", "EngineVersion": "4.0\u202e", "ZoneId": "名"},
	}
	for _, s := range seeds {
		for _, withCatalog := range []bool{false, true} {
			f.Add(s["InstanceName"], s["Password"], s["InstanceClass"], s["RegionId"], s["ZoneId"], s["ChargeType"], s["Period"], s["Token"],
				s["NetworkType"], s["VpcId"], s["VSwitchId"], s["PrivateIp"], s["SrcDBInstanceId"], s["BackupId"], s["InstanceType"], s["EngineVersion"], withCatalog)
		}
	}
	f.Fuzz(func(t *testing.T, name, password, class, region, zone, charge, period, token,
		network, vpcID, vswID, ip, src, backup, kind, version string, withCatalog bool) {
		in := Input{
			"InstanceName": name, "Password": password, "InstanceClass": class, "RegionId": region, "ZoneId": zone,
			"ChargeType": charge, "Period": period, "Token": token, "NetworkType": network, "VpcId": vpcID, "VSwitchId": vswID,
			"PrivateIp": ip, "SrcDBInstanceId": src, "BackupId": backup, "InstanceType": kind, "EngineVersion": version,
		}
		var cat *Catalog
		if withCatalog {
			cat = testCatalog()
		}
		p, errs := Validate(in, cat)
		if len(errs) > 0 {
			checkRefused(t, in, p, errs)
			return
		}
		if errs != nil {
			t.Fatalf("errors = %#v, want nil when valid", errs)
		}
		for _, problem := range checkAccepted(in, p, cat) {
			t.Errorf("accepted %+v as %+v, but %s", in, p, problem)
		}
		again := p.Input()
		again["Password"] = p.Password
		if p2, errs := Validate(again, cat); len(errs) != 0 || p2 != p {
			t.Errorf("Validate(p.Input()) = %+v, %v; want %+v", p2, errs, p)
		}
	})
}

// checkRefused checks the result of a refused input.
func checkRefused(t *testing.T, in Input, p Params, errs FieldErrors) {
	t.Helper()
	if p != (Params{}) {
		t.Errorf("Params = %+v with errors, want zero", p)
	}
	for field, msg := range errs {
		if msg == "" || !utf8.ValidString(msg) {
			t.Errorf("%s: message %q is empty or not UTF-8", field, msg)
		}
		if _, ok := ParamByName(field); !ok {
			t.Errorf("error on unknown field %q", field)
		}
	}
	if len(in["Password"]) >= 4 && strings.Contains(errs["Password"], in["Password"]) {
		t.Errorf("Password message %q contains the password", errs["Password"])
	}
}

var (
	printableASCII  = regexp.MustCompile(`^[!-~]*$`)
	passwordBanned  = regexp.MustCompile("[!<>()\\[\\]{},`~.\\-_@#$%^&*]")
	decimalOctet    = regexp.MustCompile(`^(0|[1-9][0-9]{0,2})$`)
	referenceMonths = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36}
)

// checkAccepted re-checks, from scratch, every rule an accepted input must
// obey, and returns what it finds broken.
func checkAccepted(in Input, p Params, cat *Catalog) []string {
	var broken []string
	bad := func(format string, args ...any) { broken = append(broken, fmt.Sprintf(format, args...)) }

	for field, value := range paramStrings(p) {
		if !utf8.ValidString(value) || utf8.RuneCountInString(value) > 256 {
			bad("%s %q is not valid UTF-8 or longer than 256 characters", field, value)
		}
		for _, r := range value {
			if unicode.In(r, unicode.Cc, unicode.Cf) && field != "Password" {
				bad("%s %q holds control character %U", field, value, r)
			}
		}
	}
	checkTrimmed(in, p, bad)
	checkNameAndPassword(p, bad)
	checkEnums(in, p, cat, bad)
	checkIDs(p, bad)
	checkNetworkDependencies(p, bad)
	checkAgainstCatalog(p, cat, bad)
	return broken
}

func paramStrings(p Params) map[string]string {
	return map[string]string{
		"InstanceName": p.InstanceName, "Password": p.Password, "InstanceClass": p.InstanceClass,
		"RegionId": p.RegionId, "ZoneId": p.ZoneId, "ChargeType": p.ChargeType, "Token": p.Token,
		"NetworkType": p.NetworkType, "VpcId": p.VpcId, "VSwitchId": p.VSwitchId, "PrivateIp": p.PrivateIp,
		"SrcDBInstanceId": p.SrcDBInstanceId, "BackupId": p.BackupId, "InstanceType": p.InstanceType,
		"EngineVersion": p.EngineVersion,
	}
}

func checkTrimmed(in Input, p Params, bad func(string, ...any)) {
	verbatim := map[string][2]string{
		"InstanceName": {in["InstanceName"], p.InstanceName}, "InstanceClass": {in["InstanceClass"], p.InstanceClass},
		"RegionId": {in["RegionId"], p.RegionId}, "ZoneId": {in["ZoneId"], p.ZoneId}, "Token": {in["Token"], p.Token},
		"VpcId": {in["VpcId"], p.VpcId}, "VSwitchId": {in["VSwitchId"], p.VSwitchId}, "PrivateIp": {in["PrivateIp"], p.PrivateIp},
		"SrcDBInstanceId": {in["SrcDBInstanceId"], p.SrcDBInstanceId}, "BackupId": {in["BackupId"], p.BackupId},
	}
	for field, pair := range verbatim {
		if strings.TrimSpace(pair[0]) != pair[1] {
			bad("%s became %q from %q, want it only trimmed", field, pair[1], pair[0])
		}
	}
	if p.Password != in["Password"] {
		bad("Password changed")
	}
}

func checkNameAndPassword(p Params, bad func(string, ...any)) {
	if name := []rune(p.InstanceName); len(name) > 0 {
		if len(name) < 2 || len(name) > 128 {
			bad("InstanceName has %d characters", len(name))
		} else if !unicode.IsLetter(name[0]) {
			bad("InstanceName starts with %q", name[0])
		}
		for _, r := range name {
			if unicode.IsSpace(r) || strings.ContainsRune("@/:=\"“”<>{}[]", r) {
				bad("InstanceName holds %q", r)
			}
		}
	}
	if pw := p.Password; pw != "" {
		switch {
		case len(pw) < 8 || len(pw) > 30:
			bad("Password has %d bytes", len(pw))
		case !printableASCII.MatchString(pw):
			bad("Password holds a space, control or non-ASCII character")
		case passwordBanned.MatchString(pw):
			bad("Password holds a refused symbol")
		case strings.IndexFunc(pw, unicode.IsUpper) < 0 || strings.IndexFunc(pw, unicode.IsLower) < 0 || strings.IndexFunc(pw, unicode.IsDigit) < 0:
			bad("Password lacks an uppercase letter, a lowercase letter or a digit")
		}
	}
}

func checkEnums(in Input, p Params, cat *Catalog, bad func(string, ...any)) {
	enum := func(field, typed, got, def string, allowed ...string) {
		if !slices.Contains(allowed, got) {
			bad("%s %q is not one of %v", field, got, allowed)
		}
		typed = strings.TrimSpace(typed)
		if (typed == "" && got != def) || (typed != "" && !strings.EqualFold(typed, got)) {
			bad("%s %q typed as %q", field, got, typed)
		}
	}
	enum("ChargeType", in["ChargeType"], p.ChargeType, "PostPaid", "PrePaid", "PostPaid")
	enum("NetworkType", in["NetworkType"], p.NetworkType, "Classic", "Classic", "VPC")
	enum("InstanceType", in["InstanceType"], p.InstanceType, "Redis", "Redis", "Memcache")

	switch p.ChargeType {
	case "PrePaid":
		if !slices.Contains(referenceMonths, p.Period) || strings.TrimSpace(in["Period"]) != strconv.Itoa(p.Period) {
			bad("PrePaid Period %d typed as %q", p.Period, in["Period"])
		}
	default:
		if p.Period != 0 {
			bad("PostPaid Period %d, want 0", p.Period)
		}
	}

	typedVersion := strings.TrimSpace(in["EngineVersion"])
	if (typedVersion == "" && p.EngineVersion != "2.8") || (typedVersion != "" && typedVersion != p.EngineVersion) {
		bad("EngineVersion %q typed as %q", p.EngineVersion, in["EngineVersion"])
	}
	if cat == nil && p.EngineVersion != "2.8" && p.EngineVersion != "4.0" {
		bad("EngineVersion %q without a catalog", p.EngineVersion)
	}
}

func checkIDs(p Params, bad func(string, ...any)) {
	ids := []struct {
		field, value string
		required     bool
		max          int
	}{
		{"InstanceClass", p.InstanceClass, true, 128},
		{"RegionId", p.RegionId, true, 64},
		{"ZoneId", p.ZoneId, false, 64},
		{"Token", p.Token, false, 64},
		{"VpcId", p.VpcId, false, 64},
		{"VSwitchId", p.VSwitchId, false, 64},
		{"SrcDBInstanceId", p.SrcDBInstanceId, false, 64},
		{"BackupId", p.BackupId, false, 64},
	}
	for _, id := range ids {
		switch {
		case id.value == "" && id.required:
			bad("%s is empty", id.field)
		case len(id.value) > id.max || !printableASCII.MatchString(id.value):
			bad("%s %q is not printable ASCII of at most %d", id.field, id.value, id.max)
		}
	}
	if p.BackupId != "" && p.SrcDBInstanceId == "" {
		bad("BackupId without SrcDBInstanceId")
	}
}

func checkNetworkDependencies(p Params, bad func(string, ...any)) {
	if p.NetworkType == "Classic" {
		if p.VpcId != "" || p.VSwitchId != "" || p.PrivateIp != "" {
			bad("Classic network with VPC fields")
		}
		return
	}
	if len(p.VpcId) <= 4 || p.VpcId[:4] != "vpc-" {
		bad("VPC with VpcId %q", p.VpcId)
	}
	if len(p.VSwitchId) <= 4 || p.VSwitchId[:4] != "vsw-" {
		bad("VPC with VSwitchId %q", p.VSwitchId)
	}
	if p.PrivateIp != "" && !isHostIPv4(p.PrivateIp) {
		bad("PrivateIp %q is not a dotted-quad host address", p.PrivateIp)
	}
}

// isHostIPv4 reports whether s is a dotted quad, without leading zeros, that
// is not unspecified, loopback, link-local, multicast or broadcast.
func isHostIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	var octets [4]int
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if !decimalOctet.MatchString(part) || err != nil || n > 255 {
			return false
		}
		octets[i] = n
	}
	switch {
	case s == "0.0.0.0", s == "255.255.255.255", octets[0] == 127, octets[0] >= 224 && octets[0] <= 239,
		octets[0] == 169 && octets[1] == 254:
		return false
	}
	return true
}

func checkAgainstCatalog(p Params, cat *Catalog, bad func(string, ...any)) {
	if cat == nil {
		return
	}
	var region *Region
	for i := range cat.Regions {
		if cat.Regions[i].RegionId == p.RegionId {
			region = &cat.Regions[i]
		}
	}
	if region == nil {
		bad("RegionId %q is not in the catalog", p.RegionId)
		return
	}
	if p.ZoneId != "" && len(region.Zones) > 0 &&
		!slices.ContainsFunc(region.Zones, func(z Zone) bool { return z.ZoneId == p.ZoneId }) {
		bad("ZoneId %q is not a zone of %s", p.ZoneId, p.RegionId)
	}
	versionOffered, regionHasOffers, classOffered := false, false, false
	for _, o := range cat.Offers {
		sameType := strings.EqualFold(o.InstanceType, p.InstanceType)
		versionOffered = versionOffered || (sameType && o.EngineVersion == p.EngineVersion)
		regionHasOffers = regionHasOffers || o.RegionId == p.RegionId
		classOffered = classOffered || (o.RegionId == p.RegionId && (p.ZoneId == "" || o.ZoneId == p.ZoneId) &&
			sameType && o.EngineVersion == p.EngineVersion && o.InstanceClass == p.InstanceClass)
	}
	if !versionOffered {
		bad("%s %s is offered nowhere", p.InstanceType, p.EngineVersion)
	}
	if regionHasOffers && !classOffered {
		bad("%s is not offered in %s/%s for %s %s", p.InstanceClass, p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion)
	}
}
