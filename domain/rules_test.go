package domain

import (
	"fmt"
	"strings"
	"testing"
)

// baseInput is valid with and without testCatalog: only the required fields.
func baseInput() Input {
	return Input{"RegionId": "cn-hangzhou", "InstanceClass": "redis.master.small.default"}
}

// ruleCase is one case of a rule: an edit of baseInput, the catalog to
// validate against, and the expected outcome for one field.
type ruleCase struct {
	name string
	edit func(Input)
	cat  *Catalog
	// want is "" when the whole input must be valid; otherwise a part of the
	// message the field under test must get.
	want string
}

// runRuleCases validates each case and checks the outcome for field.
func runRuleCases(t *testing.T, field string, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			tc.edit(in)
			_, errs := Validate(in, tc.cat)
			if tc.want == "" {
				if len(errs) != 0 {
					t.Fatalf("Validate(%+v) errors = %v, want none", in, errs)
				}
				return
			}
			msg, ok := errs[field]
			if !ok {
				t.Fatalf("Validate(%+v) errors = %v, want one on %s", in, errs, field)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("%s message = %q, want it to contain %q", field, msg, tc.want)
			}
		})
	}
}

func setName(s string) func(Input)     { return func(in Input) { in["InstanceName"] = s } }
func setPassword(s string) func(Input) { return func(in Input) { in["Password"] = s } }
func setToken(s string) func(Input)    { return func(in Input) { in["Token"] = s } }

func TestRuleInstanceName(t *testing.T) {
	t.Parallel()
	cases := []ruleCase{
		{name: "empty is fine", edit: setName("")},
		{name: "1 char", edit: setName("a"), want: "must be 2 to 128 characters long (it has 1)"},
		{name: "2 chars", edit: setName("ab")},
		{name: "128 chars", edit: setName(strings.Repeat("a", 128))},
		{name: "129 chars", edit: setName(strings.Repeat("a", 129)), want: "(it has 129)"},
		{name: "128 Chinese chars counted as runes", edit: setName(strings.Repeat("缓", 128))},
		{name: "129 Chinese chars", edit: setName(strings.Repeat("缓", 129)), want: "2 to 128 characters"},
		{name: "1 Chinese char", edit: setName("缓"), want: "2 to 128 characters"},
		{name: "Chinese", edit: setName("缓存实例")},
		{name: "mixed", edit: setName("Cache缓存-01_a.b")},
		{name: "uppercase first", edit: setName("Orders")},
		{name: "other Unicode letter first", edit: setName("Ωmega")},
		{name: "surrounding spaces trimmed", edit: setName("  orders  ")},
		{name: "only spaces is empty", edit: setName("   ")},
		{name: "digit first", edit: setName("1orders"), want: "must start with a letter or a Chinese character"},
		{name: "hyphen first", edit: setName("-orders"), want: "must start with a letter"},
		{name: "underscore first", edit: setName("_orders"), want: "must start with a letter"},
		{name: "inner space", edit: setName("my cache"), want: "must not contain spaces"},
		{name: "ideographic space", edit: setName("缓存\u3000实例"), want: "must not contain spaces"},
		{name: "no-break space", edit: setName("my\u00a0cache"), want: "must not contain spaces"},
		{name: "tab", edit: setName("my\tcache"), want: "control characters"},
		{name: "newline", edit: setName("my\ncache"), want: "control characters"},
		{name: "NUL", edit: setName("my\x00cache"), want: "control characters"},
		{name: "zero-width space", edit: setName("my\u200bcache"), want: "control characters"},
		{name: "bidi override", edit: setName("my\u202ecache"), want: "control characters"},
		{name: "invalid UTF-8", edit: setName("my\xffcache"), want: "valid UTF-8"},
		{name: "absurdly long", edit: setName(strings.Repeat("a", 100000)), want: "2 to 128 characters"},
	}
	for _, c := range `@/:="“”<>{}[]` {
		cases = append(cases, ruleCase{
			name: fmt.Sprintf("forbidden %c", c),
			edit: setName("ab" + string(c) + "cd"),
			want: fmt.Sprintf("must not contain %c", c),
		})
	}
	runRuleCases(t, "InstanceName", cases)
}

func TestRuleInstanceNameTrimmed(t *testing.T) {
	t.Parallel()
	in := baseInput()
	in["InstanceName"] = " \t orders \n"
	p, errs := Validate(in, nil)
	if len(errs) != 0 || p.InstanceName != "orders" {
		t.Errorf("Validate = %q, %v; want \"orders\", no errors", p.InstanceName, errs)
	}
}

func TestRulePassword(t *testing.T) {
	t.Parallel()
	cases := []ruleCase{
		{name: "empty is fine", edit: setPassword("")},
		{name: "7 chars", edit: setPassword("Abcdef1"), want: "at least 8 characters"},
		{name: "8 chars", edit: setPassword("Abcdef12")},
		{name: "30 chars", edit: setPassword("Ab1" + strings.Repeat("x", 27))},
		{name: "31 chars", edit: setPassword("Ab1" + strings.Repeat("x", 28)), want: "at most 30 characters"},
		{name: "reference example", edit: setPassword("Qa123456")},
		{name: "no uppercase", edit: setPassword("abcdef12"), want: "lacks an uppercase letter"},
		{name: "no lowercase", edit: setPassword("ABCDEF12"), want: "lacks a lowercase letter"},
		{name: "no digit", edit: setPassword("Abcdefgh"), want: "lacks a digit"},
		{name: "digits only", edit: setPassword("12345678"), want: "lacks an uppercase letter and a lowercase letter"},
		{name: "symbols not in the list", edit: setPassword("Abc1+=?/:;'\"|\\")},
		{name: "leading space kept and refused", edit: setPassword(" Abcdef12"), want: "must not contain spaces"},
		{name: "trailing space kept and refused", edit: setPassword("Abcdef12 "), want: "must not contain spaces"},
		{name: "inner space", edit: setPassword("Abcd ef12"), want: "must not contain spaces"},
		{name: "tab", edit: setPassword("Abcd\tef12"), want: "must not contain spaces, tabs or line breaks"},
		{name: "newline", edit: setPassword("Abcdef12\n"), want: "line breaks"},
		{name: "NUL", edit: setPassword("Abcd\x00ef12"), want: "must not contain control characters"},
		{name: "DEL", edit: setPassword("Abcd\x7fef12"), want: "must not contain control characters"},
		{name: "accented letter", edit: setPassword("Abcdéf12"), want: "only ASCII"},
		{name: "Chinese", edit: setPassword("Abcdef12密码"), want: "only ASCII"},
		{name: "invalid UTF-8", edit: setPassword("Abcdef12\xff"), want: "only ASCII"},
		{name: "absurdly long", edit: setPassword(strings.Repeat("Ab1", 100000)), want: "at most 30 characters"},
	}
	for _, c := range "!<>()[]{},`~.-_@#$%^&*" {
		cases = append(cases, ruleCase{
			name: fmt.Sprintf("forbidden %c", c),
			edit: setPassword("Abcdef12" + string(c)),
			want: "must not contain any of these symbols",
		})
	}
	runRuleCases(t, "Password", cases)
}

func TestRulePasswordNeverInMessage(t *testing.T) {
	t.Parallel()
	passwords := []string{
		"Abcdef1", "Abcdef12!", "abcdefgh", "Secret 12", "Secret\t12", "Sécret12",
		"Ab1" + strings.Repeat("Z", 40), "SECRET12", "secret12", "Secret\x0012",
	}
	for _, pw := range passwords {
		in := baseInput()
		in["Password"] = pw
		_, errs := Validate(in, nil)
		msg, ok := errs["Password"]
		if !ok {
			t.Errorf("password %q accepted", pw)
			continue
		}
		if strings.Contains(msg, pw) || strings.Contains(msg, strings.TrimSpace(pw)) {
			t.Errorf("message %q contains the password", msg)
		}
	}
}

func TestRulePasswordVerbatim(t *testing.T) {
	t.Parallel()
	in := baseInput()
	in["Password"] = "Qa123456+="
	p, errs := Validate(in, nil)
	if len(errs) != 0 || p.Password != in["Password"] {
		t.Errorf("Validate = %q, %v; want the password verbatim", p.Password, errs)
	}
}

func TestRuleRequiredFields(t *testing.T) {
	t.Parallel()
	setClass := func(s string) func(Input) { return func(in Input) { in["InstanceClass"] = s } }
	setRegion := func(s string) func(Input) { return func(in Input) { in["RegionId"] = s } }
	cat := testCatalog()
	t.Run("InstanceClass", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "InstanceClass", []ruleCase{
			{name: "empty", edit: setClass(""), want: "is required"},
			{name: "blank", edit: setClass("  \t"), want: "is required"},
			{name: "empty, catalog names choices", edit: setClass(""), cat: cat, want: "is required; choose one of: redis.master.small.default"},
			{name: "space", edit: setClass("redis master"), want: "must not contain spaces"},
			{name: "non-ASCII", edit: setClass("redis.大"), want: "only ASCII"},
			{name: "128 chars", edit: setClass(strings.Repeat("r", 128))},
			{name: "129 chars", edit: setClass(strings.Repeat("r", 129)), want: "at most 128 characters"},
			{name: "any class without catalog", edit: setClass("redis.made.up.class")},
			{name: "unknown class with catalog", edit: setClass("redis.made.up.class"), cat: cat, want: "is not offered in cn-hangzhou for Redis 2.8; choose one of: redis.master.small.default"},
			{name: "offered class with catalog", edit: setClass("redis.master.small.default"), cat: cat},
		})
	})
	t.Run("RegionId", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "RegionId", []ruleCase{
			{name: "empty", edit: setRegion(""), want: "is required"},
			{name: "blank", edit: setRegion(" "), want: "is required"},
			{name: "empty, catalog names choices", edit: setRegion(""), cat: cat, want: "is required; choose one of: cn-hangzhou, cn-shanghai, ap-southeast-1"},
			{name: "trimmed", edit: setRegion(" cn-hangzhou ")},
			{name: "space", edit: setRegion("cn hangzhou"), want: "must not contain spaces"},
			{name: "65 chars", edit: setRegion(strings.Repeat("r", 65)), want: "at most 64 characters"},
			{name: "unknown region without catalog", edit: setRegion("xx-nowhere-1")},
			{name: "unknown region with catalog", edit: setRegion("xx-nowhere-1"), cat: cat, want: "is not a region the cloud offers; choose one of: cn-hangzhou"},
			{name: "catalog without regions checks nothing", edit: setRegion("xx-nowhere-1"), cat: &Catalog{}},
		})
	})
}

func TestRuleCatalogPlacement(t *testing.T) {
	t.Parallel()
	cat := testCatalog()
	place := func(region, zone, class, kind, version string) func(Input) {
		return func(in Input) {
			in["RegionId"], in["ZoneId"], in["InstanceClass"], in["InstanceType"], in["EngineVersion"] = region, zone, class, kind, version
		}
	}
	t.Run("ZoneId", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "ZoneId", []ruleCase{
			{name: "any zone without catalog", edit: place("cn-hangzhou", "cn-hangzhou-z", "c", "", "")},
			{name: "space", edit: place("cn-hangzhou", "cn-hangzhou b", "c", "", ""), want: "must not contain spaces"},
			{name: "65 chars", edit: place("cn-hangzhou", strings.Repeat("z", 65), "c", "", ""), want: "at most 64 characters"},
			{name: "zone of the region", edit: place("cn-hangzhou", "cn-hangzhou-b", "redis.master.small.default", "", ""), cat: cat},
			{name: "zone of another region", edit: place("cn-hangzhou", "cn-shanghai-a", "redis.master.small.default", "", ""), cat: cat,
				want: "is not a zone of cn-hangzhou; choose one of: cn-hangzhou-b, cn-hangzhou-g"},
			{name: "region with no zones listed", edit: place("ap-southeast-1", "ap-southeast-1a", "anything", "", ""), cat: cat},
		})
	})
	t.Run("InstanceClass", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "InstanceClass", []ruleCase{
			{name: "offered in the zone", edit: place("cn-hangzhou", "cn-hangzhou-g", "redis.amber.master.2g", "Redis", "5.0"), cat: cat},
			{name: "offered in the region, any zone", edit: place("cn-hangzhou", "", "redis.amber.master.2g", "Redis", "5.0"), cat: cat},
			{name: "not in that zone", edit: place("cn-hangzhou", "cn-hangzhou-b", "redis.amber.master.2g", "Redis", "5.0"), cat: cat,
				want: "cannot be chosen: no class is offered in zone cn-hangzhou-b for Redis 5.0"},
			{name: "not for that version", edit: place("cn-hangzhou", "", "redis.master.mid.default", "Redis", "2.8"), cat: cat,
				want: "is not offered in cn-hangzhou for Redis 2.8; choose one of: redis.master.small.default"},
			{name: "not for that type", edit: place("cn-hangzhou", "", "redis.master.small.default", "Memcache", "4.0"), cat: cat,
				want: "choose one of: memcache.master.small.default"},
			{name: "another region's class", edit: place("cn-shanghai", "", "redis.master.mid.default", "Redis", "4.0"), cat: cat,
				want: "is not offered in cn-shanghai for Redis 4.0"},
			{name: "region without offers checks nothing", edit: place("ap-southeast-1", "", "made.up", "Redis", "4.0"), cat: cat},
			{name: "Memcache offered", edit: place("cn-hangzhou", "cn-hangzhou-b", "memcache.master.small.default", "memcache", "4.0"), cat: cat},
		})
	})
}

func TestRuleChargeType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, wantErr string
	}{
		{"", ChargePostPaid, ""},
		{"PostPaid", ChargePostPaid, ""},
		{"postpaid", ChargePostPaid, ""},
		{" POSTPAID ", ChargePostPaid, ""},
		{"PrePaid", ChargePrePaid, ""},
		{"prepaid", ChargePrePaid, ""},
		{"PREPAID", ChargePrePaid, ""},
		{"Monthly", "", "must be PostPaid or PrePaid"},
		{"Pre Paid", "", "must be PostPaid or PrePaid"},
		{"Pre\x00Paid", "", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			in["ChargeType"], in["Period"] = tt.in, "1"
			p, errs := Validate(in, nil)
			if tt.wantErr != "" {
				if !strings.Contains(errs["ChargeType"], tt.wantErr) {
					t.Errorf("ChargeType error = %q, want %q", errs["ChargeType"], tt.wantErr)
				}
				return
			}
			if len(errs) != 0 || p.ChargeType != tt.want {
				t.Errorf("Validate = %q, %v; want %q", p.ChargeType, errs, tt.want)
			}
		})
	}
}

func TestRulePeriod(t *testing.T) {
	t.Parallel()
	for _, months := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36} {
		t.Run(fmt.Sprintf("PrePaid %d", months), func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			in["ChargeType"], in["Period"] = "PrePaid", fmt.Sprintf(" %d ", months)
			p, errs := Validate(in, nil)
			if len(errs) != 0 || p.Period != months {
				t.Errorf("Validate = %d, %v; want %d", p.Period, errs, months)
			}
		})
	}
	for _, period := range []string{"0", "10", "11", "13", "48", "-1", "1.5", "abc", "01", "+1", "1e1", "١", "99999999999999999999", "1\x00"} {
		t.Run("PrePaid "+period, func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			in["ChargeType"], in["Period"] = "PrePaid", period
			if _, errs := Validate(in, nil); errs["Period"] == "" {
				t.Errorf("Period %q accepted", period)
			}
		})
	}
	runRuleCases(t, "Period", []ruleCase{
		{name: "PrePaid without period", edit: func(in Input) { in["ChargeType"] = "PrePaid" }, want: "is required with PrePaid billing"},
		{name: "PrePaid with blank period", edit: func(in Input) { in["ChargeType"], in["Period"] = "PrePaid", "  " }, want: "is required"},
		{name: "PrePaid 10", edit: func(in Input) { in["ChargeType"], in["Period"] = "PrePaid", "10" }, want: "must be a whole number of months: 1–9, 12, 24 or 36"},
		{name: "unknown charge type still checks the period", edit: func(in Input) { in["ChargeType"], in["Period"] = "Monthly", "10" }, want: "1–9, 12, 24 or 36"},
	})
}

func TestRulePeriodDroppedWithPostPaid(t *testing.T) {
	t.Parallel()
	for _, charge := range []string{"", "PostPaid", "postpaid"} {
		for _, period := range []string{"12", "abc", "0", "1\x00"} {
			in := baseInput()
			in["ChargeType"], in["Period"] = charge, period
			p, errs := Validate(in, nil)
			if len(errs) != 0 || p.Period != 0 || p.ChargeType != ChargePostPaid {
				t.Errorf("ChargeType %q Period %q: Validate = %d, %v; want PostPaid, period 0, no errors", charge, period, p.Period, errs)
			}
		}
	}
}

func TestRuleToken(t *testing.T) {
	t.Parallel()
	var printable strings.Builder
	for c := byte(0x21); c <= 0x7e; c++ {
		printable.WriteByte(c)
	}
	all := printable.String() // 94 characters
	runRuleCases(t, "Token", []ruleCase{
		{name: "empty is fine", edit: setToken("")},
		{name: "64 chars", edit: setToken(strings.Repeat("t", 64))},
		{name: "65 chars", edit: setToken(strings.Repeat("t", 65)), want: "at most 64 characters long (it has 65)"},
		{name: "printable ASCII, first half", edit: setToken(all[:47])},
		{name: "printable ASCII, second half", edit: setToken(all[47:])},
		{name: "trimmed", edit: setToken("  tok-1  ")},
		{name: "generated", edit: setToken(NewToken())},
		{name: "inner space", edit: setToken("tok 1"), want: "must not contain spaces"},
		{name: "non-ASCII", edit: setToken("tök"), want: "only ASCII"},
		{name: "Chinese", edit: setToken("令牌"), want: "only ASCII"},
		{name: "control", edit: setToken("tok\x01"), want: "control characters"},
		{name: "DEL", edit: setToken("tok\x7f"), want: "control characters"},
		{name: "tab", edit: setToken("tok\tx"), want: "control characters"},
		{name: "invalid UTF-8", edit: setToken("tok\xff"), want: "valid UTF-8"},
	})
}

func TestRuleNetworkType(t *testing.T) {
	t.Parallel()
	vpc := func(kind string) func(Input) {
		return func(in Input) { in["NetworkType"], in["VpcId"], in["VSwitchId"] = kind, "vpc-bp1", "vsw-bp1" }
	}
	tests := []struct {
		name, network string
		vpcFields     bool
		want          string
	}{
		{"default", "", false, NetworkClassic},
		{"Classic", "Classic", false, NetworkClassic},
		{"CLASSIC", "CLASSIC", false, NetworkClassic},
		{"classic", "classic", false, NetworkClassic},
		{"VPC", "VPC", true, NetworkVPC},
		{"vpc", "vpc", true, NetworkVPC},
		{"Vpc trimmed", " Vpc ", true, NetworkVPC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			in["NetworkType"] = tt.network
			if tt.vpcFields {
				vpc(tt.network)(in)
			}
			p, errs := Validate(in, nil)
			if len(errs) != 0 || p.NetworkType != tt.want {
				t.Errorf("Validate = %q, %v; want %q", p.NetworkType, errs, tt.want)
			}
		})
	}
	runRuleCases(t, "NetworkType", []ruleCase{
		{name: "unknown", edit: func(in Input) { in["NetworkType"] = "VPN" }, want: "must be Classic or VPC"},
	})
}

func TestRuleVPCFields(t *testing.T) {
	t.Parallel()
	vpc := func(vpcID, vswID, ip string) func(Input) {
		return func(in Input) {
			in["NetworkType"], in["VpcId"], in["VSwitchId"], in["PrivateIp"] = "VPC", vpcID, vswID, ip
		}
	}
	classic := func(vpcID, vswID, ip string) func(Input) {
		return func(in Input) {
			in["NetworkType"], in["VpcId"], in["VSwitchId"], in["PrivateIp"] = "", vpcID, vswID, ip
		}
	}
	t.Run("VpcId", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "VpcId", []ruleCase{
			{name: "VPC", edit: vpc("vpc-bp1abc", "vsw-bp1abc", "")},
			{name: "required with VPC", edit: vpc("", "vsw-bp1abc", ""), want: "is required with a VPC network"},
			{name: "only with VPC", edit: classic("vpc-bp1abc", "", ""), want: "only with a VPC network"},
			{name: "wrong prefix", edit: vpc("bp1abc", "vsw-bp1abc", ""), want: `starts with "vpc-"`},
			{name: "uppercase prefix", edit: vpc("VPC-bp1abc", "vsw-bp1abc", ""), want: `starts with "vpc-"`},
			{name: "prefix alone", edit: vpc("vpc-", "vsw-bp1abc", ""), want: `must go on after "vpc-"`},
			{name: "space", edit: vpc("vpc-bp1 abc", "vsw-bp1abc", ""), want: "must not contain spaces"},
			{name: "64 chars", edit: vpc("vpc-"+strings.Repeat("a", 60), "vsw-bp1abc", "")},
			{name: "65 chars", edit: vpc("vpc-"+strings.Repeat("a", 61), "vsw-bp1abc", ""), want: "at most 64 characters"},
		})
	})
	t.Run("VSwitchId", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "VSwitchId", []ruleCase{
			{name: "required with VPC", edit: vpc("vpc-bp1abc", "", ""), want: "is required with a VPC network"},
			{name: "only with VPC", edit: classic("", "vsw-bp1abc", ""), want: "only with a VPC network"},
			{name: "VPC ID instead", edit: vpc("vpc-bp1abc", "vpc-bp1abc", ""), want: `starts with "vsw-"`},
			{name: "non-ASCII", edit: vpc("vpc-bp1abc", "vsw-ä", ""), want: "only ASCII"},
		})
	})
	t.Run("PrivateIp", func(t *testing.T) {
		t.Parallel()
		cases := []ruleCase{
			{name: "only with VPC", edit: classic("", "", "192.168.0.10"), want: "only with a VPC network"},
			{name: "trimmed", edit: vpc("vpc-1", "vsw-1", " 192.168.0.10 ")},
		}
		for _, ip := range []string{"192.168.0.10", "10.0.0.1", "172.16.5.4", "100.64.0.1", "47.96.1.2"} {
			cases = append(cases, ruleCase{name: ip, edit: vpc("vpc-1", "vsw-1", ip)})
		}
		bad := map[string]string{
			"::1":              "IPv6 is not supported",
			"::ffff:10.0.0.1":  "IPv6 is not supported",
			"fe80::1%eth0":     "IPv6 is not supported",
			"10.0.0.1%eth0":    "four numbers from 0 to 255",
			"010.0.0.1":        "without leading zeros",
			"10.0.0.01":        "without leading zeros",
			"10.0.0":           "four numbers",
			"10.0.0.1.2":       "four numbers",
			"10.0.0.256":       "four numbers",
			"10.0.0.1/24":      "four numbers",
			"0x0a.0.0.1":       "four numbers",
			"host.example.com": "four numbers",
			"10.0.0.1\x00":     "control characters",
			"0.0.0.0":          "must be a host address",
			"127.0.0.1":        "must be a host address",
			"224.0.0.1":        "must be a host address",
			"169.254.1.1":      "must be a host address",
			"255.255.255.255":  "must be a host address",
		}
		for ip, want := range bad {
			cases = append(cases, ruleCase{name: ip, edit: vpc("vpc-1", "vsw-1", ip), want: want})
		}
		runRuleCases(t, "PrivateIp", cases)
	})
}

func TestRuleBackupSource(t *testing.T) {
	t.Parallel()
	source := func(src, backup string) func(Input) {
		return func(in Input) { in["SrcDBInstanceId"], in["BackupId"] = src, backup }
	}
	t.Run("BackupId", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "BackupId", []ruleCase{
			{name: "neither", edit: source("", "")},
			{name: "both", edit: source("r-bp1abc", "12345678")},
			{name: "backup alone", edit: source("", "12345678"), want: "needs SrcDBInstanceId"},
			{name: "space", edit: source("r-bp1abc", "123 45"), want: "must not contain spaces"},
			{name: "64 chars", edit: source("r-bp1abc", strings.Repeat("1", 64))},
			{name: "65 chars", edit: source("r-bp1abc", strings.Repeat("1", 65)), want: "at most 64 characters"},
		})
	})
	t.Run("SrcDBInstanceId", func(t *testing.T) {
		t.Parallel()
		runRuleCases(t, "SrcDBInstanceId", []ruleCase{
			{name: "alone", edit: source("r-bp1abc", "")},
			{name: "old-style hex ID", edit: source("736538d0a6894665", "")},
			{name: "space", edit: source("r-bp1 abc", ""), want: "must not contain spaces"},
			{name: "non-ASCII", edit: source("r-实例", ""), want: "only ASCII"},
			{name: "65 chars", edit: source(strings.Repeat("r", 65), ""), want: "at most 64 characters"},
		})
	})
}

func TestRuleInstanceType(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": TypeRedis, "Redis": TypeRedis, "redis": TypeRedis, "REDIS": TypeRedis, "Memcache": TypeMemcache, "memcache": TypeMemcache, " MEMCACHE ": TypeMemcache} {
		input := baseInput()
		input["InstanceType"] = in
		p, errs := Validate(input, nil)
		if len(errs) != 0 || p.InstanceType != want {
			t.Errorf("InstanceType %q: Validate = %q, %v; want %q", in, p.InstanceType, errs, want)
		}
	}
	setType := func(s string) func(Input) { return func(in Input) { in["InstanceType"] = s } }
	redisOnly := &Catalog{Offers: []Offer{{RegionId: "cn-hangzhou", InstanceType: "Redis", EngineVersion: "2.8", InstanceClass: "redis.master.small.default"}}}
	runRuleCases(t, "InstanceType", []ruleCase{
		{name: "unknown", edit: setType("MongoDB"), want: "must be Redis or Memcache"},
		{name: "not offered by the catalog", edit: setType("Memcache"), cat: redisOnly, want: "is not available: the cloud offers no Memcache instances at present; choose one of: Redis"},
	})
}

func TestRuleEngineVersion(t *testing.T) {
	t.Parallel()
	cat := testCatalog()
	version := func(kind, v, zone, class string) func(Input) {
		return func(in Input) {
			in["InstanceType"], in["EngineVersion"], in["ZoneId"], in["InstanceClass"] = kind, v, zone, class
		}
	}
	const small = "redis.master.small.default"
	runRuleCases(t, "EngineVersion", []ruleCase{
		{name: "default", edit: version("", "", "", small)},
		{name: "2.8", edit: version("", "2.8", "", small)},
		{name: "4.0", edit: version("", "4.0", "", small)},
		{name: "Memcache 2.8 without catalog", edit: version("Memcache", "2.8", "", "memcache.any")},
		{name: "5.0 without catalog", edit: version("", "5.0", "", small), want: "must be 2.8 or 4.0 for Redis"},
		{name: "4 without catalog", edit: version("", "4", "", small), want: "must be 2.8 or 4.0"},
		{name: "5.0 in the catalog", edit: version("Redis", "5.0", "cn-hangzhou-g", "redis.amber.master.2g"), cat: cat},
		{name: "6.0 not in the catalog", edit: version("Redis", "6.0", "", small), cat: cat, want: "must be 2.8, 4.0 or 5.0 for Redis"},
		{name: "Memcache 2.8 not in the catalog", edit: version("Memcache", "2.8", "", "memcache.master.small.default"), cat: cat, want: "must be 4.0 for Memcache"},
		{name: "Memcache default not in the catalog", edit: version("Memcache", "", "", "memcache.master.small.default"), cat: cat,
			want: "is required: the default 2.8 is not offered for Memcache; choose 4.0"},
		{name: "control", edit: version("", "4.0\x00", "", small), want: "control characters"},
		{name: "unknown type: text still checked", edit: version("Mongo", "4.0\xff", "", small), want: "valid UTF-8"},
	})
}

func TestRuleEveryFieldRefusesBadText(t *testing.T) {
	t.Parallel()
	fields := map[string]func(Input, string){
		"InstanceName":  func(in Input, s string) { in["InstanceName"] = s },
		"Password":      func(in Input, s string) { in["Password"] = s },
		"InstanceClass": func(in Input, s string) { in["InstanceClass"] = s },
		"RegionId":      func(in Input, s string) { in["RegionId"] = s },
		"ZoneId":        func(in Input, s string) { in["ZoneId"] = s },
		"ChargeType":    func(in Input, s string) { in["ChargeType"] = s },
		"Period":        func(in Input, s string) { in["ChargeType"], in["Period"] = "PrePaid", s },
		"Token":         func(in Input, s string) { in["Token"] = s },
		"NetworkType":   func(in Input, s string) { in["NetworkType"] = s },
		"VpcId":         func(in Input, s string) { in["NetworkType"], in["VpcId"], in["VSwitchId"] = "VPC", s, "vsw-1" },
		"VSwitchId":     func(in Input, s string) { in["NetworkType"], in["VpcId"], in["VSwitchId"] = "VPC", "vpc-1", s },
		"PrivateIp": func(in Input, s string) {
			in["NetworkType"], in["VpcId"], in["VSwitchId"], in["PrivateIp"] = "VPC", "vpc-1", "vsw-1", s
		},
		"SrcDBInstanceId": func(in Input, s string) { in["SrcDBInstanceId"] = s },
		"BackupId":        func(in Input, s string) { in["SrcDBInstanceId"], in["BackupId"] = "r-1", s },
		"InstanceType":    func(in Input, s string) { in["InstanceType"] = s },
		"EngineVersion":   func(in Input, s string) { in["EngineVersion"] = s },
	}
	bad := map[string]string{
		"invalid UTF-8":  "Ab1vpc-vsw-\xc3\x28",
		"NUL":            "Ab1vpc-vsw-\x00x",
		"escape":         "Ab1vpc-vsw-\x1b[31m",
		"absurdly long":  "vpc-vsw-" + strings.Repeat("Ab1", 1000),
		"line separator": "Ab1vpc-vsw-\u2028x",
	}
	for field, set := range fields {
		for what, value := range bad {
			in := baseInput()
			set(in, value)
			for _, cat := range []*Catalog{nil, testCatalog()} {
				if _, errs := Validate(in, cat); errs[field] == "" {
					t.Errorf("%s with %s accepted (catalog %v): errors %v", field, what, cat != nil, errs)
				}
			}
		}
	}
}

func TestRulePort(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"": 6379, "1": 1, " 6380 ": 6380, "65535": 65535} {
		i := baseInput()
		i["Port"] = in
		if p, errs := Validate(i, nil); len(errs) != 0 || p.Port != want {
			t.Errorf("Port %q: Validate = %d, %v; want %d", in, p.Port, errs, want)
		}
	}
	const msg = "must be a port number: a whole number from 1 to 65535"
	setPort := func(s string) func(Input) { return func(in Input) { in["Port"] = s } }
	runRuleCases(t, "Port", []ruleCase{
		{name: "zero", edit: setPort("0"), want: msg},
		{name: "too big", edit: setPort("65536"), want: msg},
		{name: "negative", edit: setPort("-1"), want: msg},
		{name: "plus sign", edit: setPort("+80"), want: msg},
		{name: "leading zero", edit: setPort("080"), want: msg},
		{name: "not a number", edit: setPort("redis"), want: msg},
		{name: "huge", edit: setPort("99999999999999999999"), want: msg},
		{name: "control character", edit: setPort("63\x0079"), want: "control characters"},
	})
}

func TestValidateDefaults(t *testing.T) {
	t.Parallel()
	for _, cat := range []*Catalog{nil, testCatalog()} {
		p, errs := Validate(baseInput(), cat)
		want := Params{
			RegionId: "cn-hangzhou", InstanceClass: "redis.master.small.default",
			ChargeType: ChargePostPaid, NetworkType: NetworkClassic, InstanceType: TypeRedis, EngineVersion: "2.8",
			Port: 6379,
		}
		if len(errs) != 0 || p != want {
			t.Errorf("Validate(base, catalog %v) = %+v, %v; want %+v", cat != nil, p, errs, want)
		}
	}
}

func TestValidateCollectsEveryError(t *testing.T) {
	t.Parallel()
	in := Input{"InstanceName": "1", "Password": "short", "ChargeType": "PrePaid", "NetworkType": "VPC", "BackupId": "b", "InstanceType": "x"}
	p, errs := Validate(in, nil)
	for _, field := range []string{"InstanceName", "Password", "InstanceClass", "RegionId", "Period", "VpcId", "VSwitchId", "BackupId", "InstanceType"} {
		if errs[field] == "" {
			t.Errorf("no error on %s; errors %v", field, errs)
		}
	}
	if p != (Params{}) {
		t.Errorf("Params = %+v, want zero with errors", p)
	}
}

func TestParamsInput(t *testing.T) {
	t.Parallel()
	in := Input{
		"InstanceName": "orders", "Password": "Qa123456", "InstanceClass": "redis.master.small.default", "RegionId": "cn-hangzhou",
		"ZoneId": "cn-hangzhou-b", "ChargeType": "prepaid", "Period": "12", "Token": "tok-1", "NetworkType": "vpc",
		"VpcId": "vpc-1", "VSwitchId": "vsw-1", "PrivateIp": "192.168.0.10", "SrcDBInstanceId": "r-1", "BackupId": "42",
		"InstanceType": "redis", "EngineVersion": "4.0",
	}
	p, errs := Validate(in, testCatalog())
	if len(errs) != 0 {
		t.Fatalf("Validate: %v", errs)
	}
	back := p.Input()
	if back["Password"] != "" {
		t.Error("Input carries the password")
	}
	if back["Period"] != "12" || back["ChargeType"] != "PrePaid" || back["NetworkType"] != "VPC" {
		t.Errorf("Input = %+v", back)
	}
	back["Password"] = in["Password"]
	if again, errs := Validate(back, testCatalog()); len(errs) != 0 || again != p {
		t.Errorf("Validate(p.Input()) = %+v, %v; want %+v", again, errs, p)
	}
	if got := (Params{Period: 0}).Input()["Period"]; got != "" {
		t.Errorf("Period 0 became %q, want empty", got)
	}
}

func TestEveryParameterHasHelpAndCheck(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Table {
		if m.Help == "" || m.Label == "" || m.check == nil || m.field == nil {
			t.Errorf("%s: help, label, check or field missing", m.Name)
		}
		if seen[m.Name] {
			t.Errorf("%s is in the table twice", m.Name)
		}
		seen[m.Name] = true
	}
	if _, ok := ParamByName("Nope"); ok {
		t.Error("ParamByName found an unknown parameter")
	}
}
