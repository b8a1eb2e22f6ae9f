package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"

	"github.com/kvportal/kvportal/domain"
)

// Limits of a condition: its length when saved, and the work one evaluation
// may do (CEL's cost units; a comparison is about one), so that no
// condition can hold up a submission.
const (
	maxConditionLen = 4000
	costLimit       = 100000
)

// Variables a condition sees beside the parameters (each under its API name:
// a string, Period an int).
const (
	varTeam         = "Team"
	varRequester    = "Requester"
	varMonthlyPrice = "monthly_price" // double; 0 when not known
	varPriceKnown   = "price_known"   // bool
	// A change's kind ("create" for a creation) and its fields: the new
	// whitelist, the new class and when it takes effect ("" when the kind
	// has none).
	varKind          = "Kind"
	varSecurityIps   = "SecurityIps"
	varNewClass      = "NewInstanceClass"
	varEffectiveTime = "EffectiveTime"
	// lease_days is the lease's length in days (0: no lease), has_lease
	// whether there is one.
	varLeaseDays = "lease_days"
	varHasLease  = "has_lease"
)

type condition struct {
	prg cel.Program
}

var (
	envOnce sync.Once
	env     *cel.Env
	envErr  error
)

// celEnv declares a request's fields: a condition that names anything else,
// or compares a string with a number, is refused when saved.
func celEnv() (*cel.Env, error) {
	envOnce.Do(func() {
		opts := []cel.EnvOption{cel.CrossTypeNumericComparisons(true)}
		for _, m := range domain.Table {
			if !matchable(m) {
				continue
			}
			t := cel.StringType
			if _, isInt := m.Value(domain.Params{}).(int); isInt {
				t = cel.IntType
			}
			opts = append(opts, cel.Variable(m.Name, t))
		}
		opts = append(opts, cel.Variable(varTeam, cel.StringType), cel.Variable(varRequester, cel.StringType),
			cel.Variable(varMonthlyPrice, cel.DoubleType), cel.Variable(varPriceKnown, cel.BoolType),
			cel.Variable(varKind, cel.StringType), cel.Variable(varSecurityIps, cel.StringType),
			cel.Variable(varNewClass, cel.StringType), cel.Variable(varEffectiveTime, cel.StringType),
			cel.Variable(varLeaseDays, cel.IntType), cel.Variable(varHasLease, cel.BoolType))
		env, envErr = cel.NewEnv(opts...)
	})
	return env, envErr
}

func compile(src string) (*condition, error) {
	if src == "" {
		return nil, errors.New(`"condition" is empty: leave it out, or write a CEL expression`)
	}
	if len(src) > maxConditionLen {
		return nil, fmt.Errorf("condition is longer than %d characters", maxConditionLen)
	}
	e, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	ast, iss := e.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("condition: %s", oneLine(iss.Err().Error()))
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("condition must be true or false, not a %s", ast.OutputType())
	}
	prg, err := e.Program(ast, cel.CostLimit(costLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("condition: %s", oneLine(err.Error()))
	}
	return &condition{prg: prg}, nil
}

// eval runs the condition on r.
func (c *condition) eval(r Request) (bool, error) {
	vars := map[string]any{varTeam: r.Team, varRequester: r.Requester, varPriceKnown: r.MonthlyPrice != nil,
		varMonthlyPrice: 0.0, varKind: string(r.kind()), varSecurityIps: r.Change.SecurityIps,
		varNewClass: r.Change.InstanceClass, varEffectiveTime: r.Change.EffectiveTime,
		varHasLease: r.LeaseDays != nil, varLeaseDays: int64(0)}
	if r.LeaseDays != nil {
		vars[varLeaseDays] = int64(*r.LeaseDays)
	}
	if r.MonthlyPrice != nil {
		vars[varMonthlyPrice] = *r.MonthlyPrice
	}
	for _, m := range domain.Table {
		if matchable(m) {
			vars[m.Name] = m.Value(r.Params)
		}
	}
	out, _, err := c.prg.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("the condition gave %v, not true or false", out.Value())
	}
	return b, nil
}

// celPosition is where CEL says a mistake is: "<input>:1:8: ".
var celPosition = regexp.MustCompile(`^<input>:(\d+):(\d+): `)

// oneLine keeps CEL's message, which points at the column with a second
// and third line, readable in one line of a page.
func oneLine(s string) string {
	s = strings.TrimPrefix(s, "ERROR: ")
	lines := strings.Split(s, "\n")
	var keep []string
	for _, l := range lines {
		l = strings.TrimSpace(strings.TrimPrefix(l, "ERROR: "))
		if l == "" || strings.HasPrefix(l, "|") {
			continue
		}
		keep = append(keep, celPosition.ReplaceAllString(l, "at column $2: "))
	}
	return strings.Join(keep, "; ")
}
