package workflow

import (
	"context"
	"errors"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Instance loads the instance the portal made with that InstanceId if a may
// see it and ask for its changes: its owner, the members of its team,
// approvers and admins. Others get ErrNotFound, as for a request.
func (w *Workflow) Instance(ctx context.Context, a Actor, instanceID string) (domain.Instance, error) {
	if !domain.PlainID(instanceID) {
		return domain.Instance{}, ErrNotFound
	}
	in, err := w.Store.Instance(ctx, instanceID)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Instance{}, ErrNotFound
	}
	if err != nil {
		return domain.Instance{}, err
	}
	if in.OwnerID == a.ID || a.Role.AtLeast(domain.RoleApprover) {
		return in, nil
	}
	if in.TeamID != nil {
		member, err := w.Store.InTeam(ctx, a.ID, *in.TeamID)
		if err != nil {
			return domain.Instance{}, err
		}
		if member {
			return in, nil
		}
	}
	return domain.Instance{}, ErrNotFound
}

// Instances lists the instances a may see in a list: an admin every
// instance f selects, anyone else their own and their teams' (f's viewer
// is set to a).
func (w *Workflow) Instances(ctx context.Context, a Actor, f store.InstanceFilter) ([]domain.Instance, error) {
	if !a.Role.AtLeast(domain.RoleAdmin) {
		f.ViewerID = a.ID
	}
	return w.Store.ListInstances(ctx, f)
}
