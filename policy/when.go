package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kvportal/kvportal/domain"
)

// Request is what a rule looks at: a request's parameters, its team and
// requester, and its monthly price estimate (nil: unknown).
type Request struct {
	// Kind is what is asked ("" is a creation); Change is what a change
	// asks (its fields, never a password).
	Kind         domain.RequestKind
	Change       domain.Change
	Params       domain.Params
	Team         string
	Requester    string
	MonthlyPrice *float64
	// LeaseDays is how many days the instance's lease lasts from now (a
	// creation's, or the new end of an extend_lease); nil: no lease.
	LeaseDays *int
}

// kind is r's kind, create for a request of none.
func (r Request) kind() domain.RequestKind {
	if r.Kind == "" {
		return domain.KindCreate
	}
	return r.Kind
}

// The keys of "when" beside the parameters' names.
const (
	// keyKind names the kinds of request a rule applies to. A rule that
	// does not name it applies to creations only: rules written before
	// changes existed (approve small instances, say) must not approve a
	// release.
	keyKind      = "Kind"
	keyTeam      = "Team"
	keyRequester = "Requester"
	keyMinPeriod = "min_period"
	keyMaxPeriod = "max_period"
	// keyLeaseDays holds when the lease lasts at most that many days (a
	// request without a lease never matches it); keyMinLeaseDays when it
	// lasts at least that many, or has none.
	keyLeaseDays       = "lease_days"
	keyMinLeaseDays    = "min_lease_days"
	keyMinMonthlyPrice = "min_monthly_price"
	keyMaxMonthlyPrice = "max_monthly_price"
)

// key is one condition of "when": it holds or not for a request.
type key struct {
	name  string
	holds func(r Request) bool
}

// matchable reports whether a parameter may be named in "when": not the
// password, and not the token, which is random.
func matchable(m domain.Param) bool { return m.Kind != domain.KindSecret && m.Name != "Token" }

// Keys lists what "when" may name, for the editor's help.
func Keys() []string {
	var ks []string
	for _, m := range domain.Table {
		if matchable(m) {
			ks = append(ks, m.Name)
		}
	}
	return append(ks, keyKind, keyTeam, keyRequester, keyLeaseDays, keyMinLeaseDays, keyMinPeriod, keyMaxPeriod, keyMinMonthlyPrice, keyMaxMonthlyPrice)
}

func parseWhen(when map[string]json.RawMessage) ([]key, error) {
	names := make([]string, 0, len(when))
	for k := range when {
		names = append(names, k)
	}
	sort.Strings(names) // the same mistake is reported first every time
	keys := make([]key, 0, len(names))
	for _, name := range names {
		k, err := parseKey(name, when[name])
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func parseKey(name string, raw json.RawMessage) (key, error) {
	switch name {
	case keyKind:
		vals, err := stringsOf(name, raw)
		if err != nil {
			return key{}, err
		}
		for _, v := range vals {
			if k := domain.RequestKind(v); k != domain.KindCreate && !k.IsChange() {
				return key{}, fmt.Errorf("Kind %q is not a kind of request: %s", v, strings.Join(domain.KindNames(), ", "))
			}
		}
		return key{name, func(r Request) bool { return slices.Contains(vals, string(r.kind())) }}, nil
	case keyTeam, keyRequester:
		vals, err := stringsOf(name, raw)
		if err != nil {
			return key{}, err
		}
		get := func(r Request) string { return r.Team }
		if name == keyRequester {
			get = func(r Request) string { return r.Requester }
		}
		return key{name, func(r Request) bool { return slices.Contains(vals, get(r)) }}, nil
	case keyMinPeriod, keyMaxPeriod:
		n, err := numberOf(name, raw)
		if err != nil {
			return key{}, err
		}
		if n != math.Trunc(n) {
			return key{}, fmt.Errorf("%s must be a whole number of months", name)
		}
		if name == keyMinPeriod {
			return key{name, func(r Request) bool { return float64(r.Params.Period) >= n }}, nil
		}
		return key{name, func(r Request) bool { return float64(r.Params.Period) <= n }}, nil
	case keyLeaseDays, keyMinLeaseDays:
		n, err := numberOf(name, raw)
		if err != nil {
			return key{}, err
		}
		if name == keyLeaseDays {
			return key{name, func(r Request) bool { return r.LeaseDays != nil && float64(*r.LeaseDays) <= n }}, nil
		}
		return key{name, func(r Request) bool { return r.LeaseDays == nil || float64(*r.LeaseDays) >= n }}, nil
	case keyMinMonthlyPrice, keyMaxMonthlyPrice:
		n, err := numberOf(name, raw)
		if err != nil {
			return key{}, err
		}
		// Without an estimate the price is not known to be within any
		// bound: a rule about price never holds for it.
		if name == keyMinMonthlyPrice {
			return key{name, func(r Request) bool { return r.MonthlyPrice != nil && *r.MonthlyPrice >= n }}, nil
		}
		return key{name, func(r Request) bool { return r.MonthlyPrice != nil && *r.MonthlyPrice <= n }}, nil
	}
	m, ok := domain.ParamByName(name)
	if !ok {
		return key{}, fmt.Errorf("unknown key %s%s", name, suggest(name))
	}
	if !matchable(m) {
		return key{}, fmt.Errorf("%s can't be matched: it is never kept in a form a rule could read", name)
	}
	var vals []string
	if m.Name == "Period" {
		// Periods are numbers; "12" is taken as 12 too.
		ns, err := numbersOf(name, raw)
		if err != nil {
			return key{}, err
		}
		for _, n := range ns {
			vals = append(vals, strconv.FormatFloat(n, 'f', -1, 64))
		}
	} else {
		var err error
		if vals, err = stringsOf(name, raw); err != nil {
			return key{}, err
		}
	}
	return key{name, func(r Request) bool { return slices.Contains(vals, valueText(m, r.Params)) }}, nil
}

// valueText is a parameter's value as a rule compares it: Period 0 is "0".
func valueText(m domain.Param, p domain.Params) string {
	if v, ok := m.Value(p).(int); ok {
		return strconv.Itoa(v)
	}
	return m.Text(p)
}

// stringsOf reads a string or a list of strings (a list means "one of").
func stringsOf(name string, raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%s must be a string or a list of strings, not %s", name, short(raw))
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s is an empty list, which nothing matches: leave the key out to match any value", name)
	}
	return list, nil
}

// numberOf reads one number.
func numberOf(name string, raw json.RawMessage) (float64, error) {
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("%s must be a number, not %s", name, short(raw))
	}
	return n, nil
}

// numbersOf reads a number or a list of numbers; numbers written as strings
// are read too.
func numbersOf(name string, raw json.RawMessage) ([]float64, error) {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	} else if len(list) == 0 {
		return nil, fmt.Errorf("%s is an empty list, which nothing matches: leave the key out to match any value", name)
	}
	out := make([]float64, 0, len(list))
	for _, item := range list {
		var n float64
		if json.Unmarshal(item, &n) != nil {
			var s string
			if json.Unmarshal(item, &s) != nil {
				return nil, fmt.Errorf("%s must be a number or a list of numbers, not %s", name, short(raw))
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return nil, fmt.Errorf("%s must be a number or a list of numbers, not %s", name, short(raw))
			}
			n = f
		}
		out = append(out, n)
	}
	return out, nil
}

// short is a value as written, cut to a readable length.
func short(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// suggest names the known key closest to a mistyped one, when one is close.
func suggest(name string) string {
	best, bestD := "", 3
	for _, k := range Keys() {
		if d := distance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return " (see the list of keys beside the editor)"
	}
	return " (did you mean " + best + "?)"
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
