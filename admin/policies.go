package admin

import (
	"context"

	"github.com/kvportal/kvportal/policy"
	"github.com/kvportal/kvportal/store"
)

// SavePolicies saves document as the new version of the approval policies,
// in force from now, with its policies.saved event. A document that
// doesn't parse or type-check is refused whole, a *policy.Error naming the
// line, the rule and the problem, and nothing is saved.
func (a *Admin) SavePolicies(ctx context.Context, by *int64, document []byte) (store.PolicyVersion, *policy.Policies, error) {
	ps, err := policy.Parse(document)
	if err != nil {
		return store.PolicyVersion{}, nil, err
	}
	v, err := a.Store.SavePolicies(ctx, string(document), len(ps.Rules), by)
	return v, ps, err
}
