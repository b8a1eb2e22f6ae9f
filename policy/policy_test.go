package policy_test

import (
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/policy"
)

func price(v float64) *float64 { return &v }

// small is a request the example's first rule approves.
func small() policy.Request {
	return policy.Request{
		Params: domain.Params{InstanceClass: testfix.InstanceClass, ChargeType: domain.ChargePostPaid,
			RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", InstanceType: domain.TypeRedis, EngineVersion: "5.0",
			NetworkType: domain.NetworkClassic, InstanceName: "orders-cache"},
		Team: "payments", Requester: "alice", MonthlyPrice: price(30),
	}
}

func mustParse(t *testing.T, doc string) *policy.Policies {
	t.Helper()
	ps, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return ps
}

func TestExampleDocument(t *testing.T) {
	ps := mustParse(t, policy.Example)
	cases := []struct {
		name   string
		change func(r *policy.Request)
		then   policy.Then
		rule   string
	}{
		{"all keys hold", func(r *policy.Request) {}, policy.Approve, "small pay-as-you-go caches in Hangzhou"},
		{"another class", func(r *policy.Request) { r.Params.InstanceClass = "redis.master.large.default" }, policy.RequireApproval, ""},
		{"another region", func(r *policy.Request) { r.Params.RegionId = "cn-beijing" }, policy.RequireApproval, ""},
		{"another team", func(r *policy.Request) { r.Team = "search" }, policy.RequireApproval, ""},
		{"no team", func(r *policy.Request) { r.Team = "" }, policy.RequireApproval, ""},
		{"price at the maximum", func(r *policy.Request) { r.MonthlyPrice = price(50) }, policy.Approve, "small pay-as-you-go caches in Hangzhou"},
		{"price over the maximum", func(r *policy.Request) { r.MonthlyPrice = price(50.01) }, policy.RequireApproval, ""},
		{"price unknown", func(r *policy.Request) { r.MonthlyPrice = nil }, policy.RequireApproval, ""},
		{"PrePaid 12 months", func(r *policy.Request) { r.Params.ChargeType, r.Params.Period = domain.ChargePrePaid, 12 }, policy.RequireApproval, ""},
		{"PrePaid 13 months: minimum met", func(r *policy.Request) { r.Params.ChargeType, r.Params.Period = domain.ChargePrePaid, 13 }, policy.Deny, "subscriptions up to a year"},
		{"PrePaid 24 months", func(r *policy.Request) { r.Params.ChargeType, r.Params.Period = domain.ChargePrePaid, 24 }, policy.Deny, "subscriptions up to a year"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := small()
			c.change(&r)
			d := ps.Decide(r)
			if d.Then != c.then || d.Rule != c.rule || d.Err != nil {
				t.Errorf("Decide = %+v, want %s by %q", d, c.then, c.rule)
			}
			if c.then == policy.Deny && d.Message != "Subscriptions are limited to 12 months." {
				t.Errorf("message = %q", d.Message)
			}
		})
	}
}

// Each kind of key, alone in a rule: the rule approves when it holds and
// leaves the request waiting when it does not.
func TestKeys(t *testing.T) {
	cases := []struct {
		when   string
		holds  func(r *policy.Request)
		misses func(r *policy.Request)
	}{
		{`"InstanceClass": "` + testfix.InstanceClass + `"`, nil, func(r *policy.Request) { r.Params.InstanceClass = "x" }},
		{`"RegionId": ["cn-beijing", "cn-hangzhou"]`, nil, func(r *policy.Request) { r.Params.RegionId = "cn-shanghai" }},
		{`"ZoneId": ["cn-hangzhou-b"]`, nil, func(r *policy.Request) { r.Params.ZoneId = "" }},
		{`"NetworkType": ["VPC"]`, func(r *policy.Request) { r.Params.NetworkType = domain.NetworkVPC }, nil},
		{`"InstanceType": ["Redis"]`, nil, func(r *policy.Request) { r.Params.InstanceType = domain.TypeMemcache }},
		{`"EngineVersion": ["4.0", "5.0"]`, nil, func(r *policy.Request) { r.Params.EngineVersion = "2.8" }},
		{`"InstanceName": ["orders-cache"]`, nil, func(r *policy.Request) { r.Params.InstanceName = "" }},
		{`"Period": [1, 12]`, func(r *policy.Request) { r.Params.Period = 12 }, func(r *policy.Request) { r.Params.Period = 6 }},
		{`"Period": "0"`, nil, func(r *policy.Request) { r.Params.Period = 1 }},
		{`"Team": ["payments", "search"]`, nil, func(r *policy.Request) { r.Team = "ops" }},
		{`"Requester": "alice"`, nil, func(r *policy.Request) { r.Requester = "bob" }},
		{`"min_period": 12`, func(r *policy.Request) { r.Params.Period = 12 }, func(r *policy.Request) { r.Params.Period = 11 }},
		{`"max_period": 3`, func(r *policy.Request) { r.Params.Period = 3 }, func(r *policy.Request) { r.Params.Period = 4 }},
		{`"min_monthly_price": 30`, nil, func(r *policy.Request) { r.MonthlyPrice = price(29.99) }},
		{`"max_monthly_price": 30`, nil, func(r *policy.Request) { r.MonthlyPrice = price(30.5) }},
		{`"min_monthly_price": 0`, nil, func(r *policy.Request) { r.MonthlyPrice = nil }},
	}
	for _, c := range cases {
		t.Run(c.when, func(t *testing.T) {
			ps := mustParse(t, `{"rules": [{"name": "r", "when": {`+c.when+`}, "then": "approve"}]}`)
			r := small()
			if c.holds != nil {
				c.holds(&r)
			}
			if d := ps.Decide(r); d.Then != policy.Approve || d.Index != 1 {
				t.Errorf("holding: %+v", d)
			}
			if c.misses != nil {
				c.misses(&r)
				if d := ps.Decide(r); d.Then != policy.RequireApproval || d.Rule != "" {
					t.Errorf("missing: %+v", d)
				}
			}
		})
	}
}

func TestFirstMatchWins(t *testing.T) {
	ps := mustParse(t, `{"rules": [
		{"name": "payments wait", "when": {"Team": "payments"}, "then": "require_approval"},
		{"name": "everything else", "then": "approve"}
	]}`)
	if d := ps.Decide(small()); d.Then != policy.RequireApproval || d.Rule != "payments wait" || !d.Matched() {
		t.Errorf("payments: %+v", d)
	}
	r := small()
	r.Team = "search"
	if d := ps.Decide(r); d.Then != policy.Approve || d.Rule != "everything else" || d.Index != 2 {
		t.Errorf("search: %+v", d)
	}
	var none *policy.Policies
	if d := none.Decide(r); d.Then != policy.RequireApproval || d.Matched() {
		t.Errorf("no policies: %+v", d)
	}
}

func TestCondition(t *testing.T) {
	cases := []struct {
		cond string
		then policy.Then
		err  bool
	}{
		{`InstanceName.startsWith("orders")`, policy.Approve, false},
		{`InstanceName.startsWith("tmp")`, policy.RequireApproval, false},
		{`Period == 0 && monthly_price < 100`, policy.Approve, false}, // int literal against a double
		{`price_known && monthly_price > 1000`, policy.RequireApproval, false},
		{`Team in ["payments", "search"] && Requester != "bob"`, policy.Approve, false},
		// int() of a name that is no number fails when evaluated: the
		// request waits for a person.
		{`int(InstanceName) > 3`, policy.RequireApproval, true},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			ps := mustParse(t, `{"rules": [{"name": "c", "when": {"RegionId": ["cn-hangzhou"]}, "condition": `+quote(c.cond)+`, "then": "approve"}]}`)
			d := ps.Decide(small())
			if d.Then != c.then || (d.Err != nil) != c.err {
				t.Errorf("Decide = %+v, want %s (error %v)", d, c.then, c.err)
			}
			if c.err && (d.Matched() || d.Rule != "c") {
				t.Errorf("an error must name its rule and decide nothing: %+v", d)
			}
		})
	}
}

// A condition that would run for long is cut off by the cost limit.
func TestConditionCostLimit(t *testing.T) {
	cond := `[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, a+b+c+d+e > 0)))))`
	ps := mustParse(t, `{"rules": [{"name": "slow", "condition": `+quote(cond)+`, "then": "approve"}]}`)
	d := ps.Decide(small())
	if d.Err == nil || d.Matched() || !strings.Contains(d.Err.Error(), "cost") {
		t.Errorf("Decide = %+v, want a cost limit error", d)
	}
}

func TestRefused(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"{\"rules\": [\n  {\"name\": \"a\", \"then\": \"approve\"},\n  {\"name\": \"b\",\n   \"when\": {\"max_pricee\": 5}, \"then\": \"approve\"}\n]}",
			"line 3, rule 2: unknown key max_pricee"},
		{`{"rules": [{"name": "a", "whne": {}, "then": "approve"}]}`, "rule 1: unknown key whne"},
		{`{"rules": [{"name": "a", "then": "allow"}]}`, `rule 1: then "allow" is not approve`},
		{`{"rules": [{"name": "a", "then": "deny"}]}`, `rule 1: "message" is missing`},
		{`{"rules": [{"then": "approve"}]}`, `rule 1: "name" is missing`},
		{`{"rules": [{"name": "a", "then": "approve"}, {"name": "a", "then": "deny", "message": "no"}]}`, `rule 2: the name "a" is already rule 1's`},
		{`{"rules": [{"name": "a", "when": {"RegionId": []}, "then": "approve"}]}`, "RegionId is an empty list"},
		{`{"rules": [{"name": "a", "when": {"RegionId": 5}, "then": "approve"}]}`, "RegionId must be a string or a list of strings"},
		{`{"rules": [{"name": "a", "when": {"min_period": "x"}, "then": "approve"}]}`, "min_period must be a number"},
		{`{"rules": [{"name": "a", "when": {"Password": "x"}, "then": "approve"}]}`, "Password can't be matched"},
		{`{"rules": [{"name": "a", "when": [], "then": "approve"}]}`, "rule 1: when must be an object"},
		{`{"rules": [{"name": "a", "condition": "Period == \"12\"", "then": "approve"}]}`, "rule 1: condition: at column 8: found no matching overload"},
		{`{"rules": [{"name": "a", "condition": "Colour == \"red\"", "then": "approve"}]}`, "undeclared reference to 'Colour'"},
		{`{"rules": [{"name": "a", "condition": "InstanceName", "then": "approve"}]}`, "condition must be true or false"},
		{`{"rules": [{"name": "a", "condition": "", "then": "approve"}]}`, `"condition" is empty`},
		{"{\"rules\": [\n{\"name\": \"a\",, \"then\": \"approve\"}]}", "line 2: not valid JSON"},
		{`{"rules": [{"name": "a", "then": "approve"}`, "ends too early"},
		{`{"rulez": []}`, "unknown key rulez"},
		{`[]`, "must be an object"},
		{`{"rules": {}}`, `"rules" must be a list`},
		{`{"rules": [{"name": "a", "then": "approve"}]} x`, "follows"},
		{`{}`, `has no "rules"`},
		{`{"rules": [{"name": "a", "then": "approve", "message": "m"}]}`, `"message" goes with deny only`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := policy.Parse([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse error = %v, want one with %q", err, c.want)
			}
		})
	}
}

func TestRuleLines(t *testing.T) {
	ps := mustParse(t, policy.Example)
	if len(ps.Rules) != 2 || ps.Rules[0].Line != 2 || ps.Rules[1].Line != 6 {
		t.Errorf("rules at lines %d and %d, want 2 and 6", ps.Rules[0].Line, ps.Rules[1].Line)
	}
	empty := mustParse(t, "  \n")
	if len(empty.Rules) != 0 {
		t.Errorf("empty document has %d rules", len(empty.Rules))
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

func TestTryIt(t *testing.T) {
	ps := mustParse(t, policy.Example)
	cases := []struct{ sample, want string }{
		{policy.SampleExample, "Rule 1 (“small pay-as-you-go caches in Hangzhou”) matches: the request is approved at once"},
		{`{"ChargeType": "PrePaid", "Period": 24}`, "Rule 2 (“subscriptions up to a year”) matches: the request is refused: Subscriptions are limited to 12 months."},
		{`{"ChargeType": "PrePaid", "Period": "12"}`, "No rule matches"},
	}
	for _, c := range cases {
		r, err := policy.ParseSample([]byte(c.sample))
		if err != nil {
			t.Fatalf("%s: %v", c.sample, err)
		}
		if got := ps.Explain(r); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.sample, got, c.want)
		}
	}
	for _, bad := range []string{`[]`, `{"Colour": "red"}`, `{"Password": "x"}`, `{"Period": "x"}`, `{"monthly_price": "a"}`, `{"Team": 3}`, `{"RegionId": 1}`} {
		if _, err := policy.ParseSample([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
