// Package policy reads and applies the approval policies: an ordered list of
// rules, each saying of the requests it matches that they are approved at
// once, wait for an approver, or are refused. The first rule that matches
// decides; a request that matches none waits for an approver.
//
// A document is checked whole when it is read (Parse): every key, every
// value's type and every CEL condition, compiled and type-checked against a
// request's fields. A document with any mistake is refused with the rule,
// its line and the problem, so that what is saved always applies.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Then is what a rule does with the requests it matches.
type Then string

// The outcomes of a rule.
const (
	Approve         Then = "approve"
	RequireApproval Then = "require_approval"
	Deny            Then = "deny"
)

// MaxDocument bounds a document's size.
const MaxDocument = 256 << 10

// Policies are a parsed, checked document. The zero value (and nil) has no
// rules: every request waits for an approver.
type Policies struct {
	Rules []Rule
}

// Rule is one rule of a document.
type Rule struct {
	Name string
	// Line is where the rule starts in the document, from 1.
	Line      int
	Then      Then
	Message   string
	Condition string
	keys      []key
	cond      *condition
}

// Error is a document refused: Rule is the rule's position from 1 (0 when
// the mistake is outside any rule), Line the line from 1 (0 when unknown).
type Error struct {
	Rule int
	Line int
	Msg  string
}

func (e *Error) Error() string {
	// "line 7, rule 2: unknown key max_pricee": the rule last, right
	// before what is wrong with it.
	var where []string
	if e.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", e.Line))
	}
	if e.Rule > 0 {
		where = append(where, fmt.Sprintf("rule %d", e.Rule))
	}
	if len(where) == 0 {
		return e.Msg
	}
	return strings.Join(where, ", ") + ": " + e.Msg
}

// Example is the document DESIGN.md shows, offered to admins as a start.
const Example = `{"rules": [
  {"name": "small pay-as-you-go caches in Hangzhou",
   "when": {"InstanceClass": ["redis.master.small.default"], "ChargeType": ["PostPaid"],
            "RegionId": ["cn-hangzhou"], "Team": ["payments"], "max_monthly_price": 50},
   "then": "approve"},
  {"name": "subscriptions up to a year",
   "when": {"ChargeType": ["PrePaid"], "min_period": 13},
   "then": "deny", "message": "Subscriptions are limited to 12 months."}
]}
`

// Parse reads and checks a document. An empty document (only white space)
// has no rules.
func Parse(src []byte) (*Policies, error) {
	if len(src) > MaxDocument {
		return nil, &Error{Msg: fmt.Sprintf("the document is larger than %d KiB", MaxDocument>>10)}
	}
	if len(bytes.TrimSpace(src)) == 0 {
		return &Policies{}, nil
	}
	raws, lines, err := splitRules(src)
	if err != nil {
		return nil, err
	}
	ps := &Policies{Rules: make([]Rule, 0, len(raws))}
	names := map[string]int{}
	for i, raw := range raws {
		r, err := parseRule(raw)
		if err != nil {
			return nil, &Error{Rule: i + 1, Line: lines[i], Msg: err.Error()}
		}
		if prev, dup := names[r.Name]; dup {
			return nil, &Error{Rule: i + 1, Line: lines[i], Msg: fmt.Sprintf("the name %q is already rule %d's: each rule needs its own", r.Name, prev)}
		}
		names[r.Name] = i + 1
		r.Line = lines[i]
		ps.Rules = append(ps.Rules, r)
	}
	return ps, nil
}

// splitRules finds the rules of a document, {"rules": [...]}, with the line
// each starts on.
func splitRules(src []byte) ([]json.RawMessage, []int, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	fail := func(err error) ([]json.RawMessage, []int, error) {
		return nil, nil, syntaxError(src, dec, err)
	}
	if err := expectDelim(dec, '{', `the document must be an object: {"rules": [...]}`); err != nil {
		return fail(err)
	}
	var raws []json.RawMessage
	var lines []int
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		if k, _ := tok.(string); k != "rules" {
			return nil, nil, &Error{Line: lineAt(src, dec.InputOffset()), Msg: fmt.Sprintf("unknown key %s: the document has only \"rules\"", tok)}
		}
		if seen {
			return nil, nil, &Error{Line: lineAt(src, dec.InputOffset()), Msg: `"rules" appears twice`}
		}
		seen = true
		if err := expectDelim(dec, '[', `"rules" must be a list: "rules": [...]`); err != nil {
			return fail(err)
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fail(err)
			}
			// InputOffset is now just past the rule: its start is found
			// back from its length.
			start := int(dec.InputOffset()) - len(raw)
			raws = append(raws, raw)
			lines = append(lines, lineAt(src, int64(start)))
		}
		if _, err := dec.Token(); err != nil { // ]
			return fail(err)
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, &Error{Line: lineAt(src, dec.InputOffset()), Msg: "something follows the document's closing }"}
	}
	if !seen {
		return nil, nil, &Error{Line: 1, Msg: `the document has no "rules": {"rules": [...]}`}
	}
	return raws, lines, nil
}

func expectDelim(dec *json.Decoder, d json.Delim, msg string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return errors.New(msg)
	}
	return nil
}

// syntaxError places err, from reading the document, on its line.
func syntaxError(src []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &Error{Line: lineAt(src, syn.Offset), Msg: "not valid JSON: " + strings.TrimPrefix(syn.Error(), "invalid character ")}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Line: lineAt(src, int64(len(src))), Msg: "the document ends too early: a } or ] is missing"}
	}
	return &Error{Line: lineAt(src, dec.InputOffset()), Msg: err.Error()}
}

// lineAt is the line, from 1, of byte offset off of src.
func lineAt(src []byte, off int64) int {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(src[:off], []byte("\n")) + 1
}

// ruleJSON is a rule as written.
type ruleJSON struct {
	Name      *string                    `json:"name"`
	When      map[string]json.RawMessage `json:"when"`
	Condition *string                    `json:"condition"`
	Then      *string                    `json:"then"`
	Message   *string                    `json:"message"`
}

func parseRule(raw json.RawMessage) (Rule, error) {
	var rj ruleJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rj); err != nil {
		var typ *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return Rule{}, fmt.Errorf("unknown key %s: a rule has name, when, condition, then and message",
				strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
		case errors.As(err, &typ) && typ.Field != "":
			return Rule{}, fmt.Errorf("%s must be %s", typ.Field, map[string]string{"when": "an object"}[typ.Field]+orText(typ.Field))
		case errors.As(err, &typ):
			return Rule{}, errors.New(`a rule must be an object: {"name": …, "when": {…}, "then": …}`)
		}
		return Rule{}, err
	}
	var r Rule
	if rj.Name == nil || strings.TrimSpace(*rj.Name) == "" {
		return Rule{}, errors.New(`"name" is missing: every rule needs a name, shown as the decider`)
	}
	r.Name = strings.TrimSpace(*rj.Name)
	if len(r.Name) > 200 {
		return Rule{}, errors.New(`"name" is longer than 200 characters`)
	}
	if rj.Then == nil {
		return Rule{}, errors.New(`"then" is missing: approve, require_approval or deny`)
	}
	r.Then = Then(*rj.Then)
	switch r.Then {
	case Approve, RequireApproval:
		if rj.Message != nil {
			return Rule{}, fmt.Errorf(`"message" goes with deny only, not %s`, r.Then)
		}
	case Deny:
		if rj.Message == nil || strings.TrimSpace(*rj.Message) == "" {
			return Rule{}, errors.New(`"message" is missing: a deny rule tells the requester why`)
		}
		r.Message = strings.TrimSpace(*rj.Message)
	default:
		return Rule{}, fmt.Errorf(`then %q is not approve, require_approval or deny`, *rj.Then)
	}
	var err error
	if r.keys, err = parseWhen(rj.When); err != nil {
		return Rule{}, err
	}
	if rj.Condition != nil {
		r.Condition = strings.TrimSpace(*rj.Condition)
		if r.cond, err = compile(r.Condition); err != nil {
			return Rule{}, err
		}
	}
	return r, nil
}

// orText names what the other keys of a rule must be.
func orText(field string) string {
	switch field {
	case "when":
		return ""
	case "then":
		return "a string: approve, require_approval or deny"
	}
	return "a string"
}
