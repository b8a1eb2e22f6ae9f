package policy

import (
	"fmt"

	"github.com/kvportal/kvportal/domain"
)

// Decision is what the policies say of a request.
type Decision struct {
	Then Then
	// Rule is the deciding rule's name and Index its position from 1; ""
	// and 0 when no rule matched.
	Rule  string
	Index int
	// Message is a deny rule's message.
	Message string
	// Err is a condition that could not be evaluated: the request then
	// waits for a person, as neither an approval nor a refusal can be
	// trusted, and Rule names the rule whose condition failed.
	Err error
}

// Matched reports whether a rule decided.
func (d Decision) Matched() bool { return d.Rule != "" && d.Err == nil }

// Decide applies the rules to r: the first rule whose every key holds (and
// whose condition is true) decides; none: r waits for an approver.
func (ps *Policies) Decide(r Request) Decision {
	if ps == nil {
		return Decision{Then: RequireApproval}
	}
	for i, rule := range ps.Rules {
		ok, err := rule.matches(r)
		if err != nil {
			return Decision{Then: RequireApproval, Rule: rule.Name, Index: i + 1,
				Err: fmt.Errorf("rule %d (%s): condition: %w", i+1, rule.Name, err)}
		}
		if ok {
			return Decision{Then: rule.Then, Rule: rule.Name, Index: i + 1, Message: rule.Message}
		}
	}
	return Decision{Then: RequireApproval}
}

func (rule Rule) matches(r Request) (bool, error) {
	if r.kind() != domain.KindCreate && !rule.namesKind() {
		return false, nil
	}
	for _, k := range rule.keys {
		if !k.holds(r) {
			return false, nil
		}
	}
	if rule.cond == nil {
		return true, nil
	}
	return rule.cond.eval(r)
}

// namesKind reports whether the rule's "when" names the kinds it applies
// to; one that does not applies to creations only.
func (rule Rule) namesKind() bool {
	for _, k := range rule.keys {
		if k.name == keyKind {
			return true
		}
	}
	return false
}
