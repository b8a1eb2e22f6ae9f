package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/kvportal/kvportal/domain"
)

// SampleExample is a sample request for the editor's "try it" box.
const SampleExample = `{"InstanceClass": "redis.master.small.default", "ChargeType": "PostPaid",
 "RegionId": "cn-hangzhou", "Team": "payments", "Requester": "dev", "monthly_price": 30}`

// ParseSample reads a sample request for trying the rules: a JSON object
// with any of the keys a rule can name (the parameters' API names, Team,
// Requester) and monthly_price; what is left out is empty (no price: not
// known).
func ParseSample(src []byte) (Request, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return Request{}, fmt.Errorf(`the sample must be a JSON object, like {"RegionId": "cn-hangzhou", "monthly_price": 30}`)
	}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	var r Request
	for _, k := range names {
		v := raw[k]
		switch k {
		case keyTeam, keyRequester:
			var s string
			if json.Unmarshal(v, &s) != nil {
				return Request{}, fmt.Errorf("sample: %s must be a string", k)
			}
			if k == keyTeam {
				r.Team = s
			} else {
				r.Requester = s
			}
			continue
		case varMonthlyPrice:
			var f float64
			if json.Unmarshal(v, &f) != nil {
				return Request{}, fmt.Errorf("sample: %s must be a number", k)
			}
			r.MonthlyPrice = &f
			continue
		}
		m, ok := domain.ParamByName(k)
		if !ok || !matchable(m) {
			return Request{}, fmt.Errorf("sample: unknown key %s%s", k, suggest(k))
		}
		if m.Name == "Period" {
			ns, err := numbersOf(k, v)
			if err != nil || len(ns) != 1 {
				return Request{}, fmt.Errorf("sample: Period must be a number")
			}
			r.Params.Period = int(ns[0])
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return Request{}, fmt.Errorf("sample: %s must be a string", k)
		}
		if p, ok := m.Ptr(&r.Params).(*string); ok {
			*p = s
		}
	}
	return r, nil
}

// Explain says in a sentence what the policies decide for r.
func (ps *Policies) Explain(r Request) string {
	d := ps.Decide(r)
	switch {
	case d.Err != nil:
		return "The condition of rule " + strconv.Itoa(d.Index) + " (“" + d.Rule + "”) failed: " + d.Err.Error() +
			". Such a request waits for an approver."
	case !d.Matched():
		return "No rule matches: the request waits for an approver."
	}
	head := "Rule " + strconv.Itoa(d.Index) + " (“" + d.Rule + "”) matches: "
	switch d.Then {
	case Approve:
		return head + "the request is approved at once (within the team's limits)."
	case Deny:
		return head + "the request is refused: " + d.Message
	}
	return head + "the request waits for an approver."
}
