package handlers

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// reasonMaxLen bounds a rejection reason, in characters.
const reasonMaxLen = 1000

// ShowRequest shows a request (GET /requests/{id}): its parameters,
// outcome and timeline, and the actions the user may take.
func (h *Handlers) ShowRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	v, err := h.showView(c, r)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "", pages.RequestShow(v))
}

func (h *Handlers) showView(c echo.Context, r store.Request) (pages.RequestShowView, error) {
	ctx := c.Request().Context()
	u := user(c)
	events, err := h.Store.RequestEvents(ctx, r.ID)
	if err != nil {
		return pages.RequestShowView{}, err
	}
	p := r.Params
	password := "not set"
	if r.PasswordSet {
		password = "set"
	}
	period := ""
	if p.Period > 0 {
		period = strconv.Itoa(p.Period) + " months"
	}
	pending := r.Status == store.StatusPendingApproval
	v := pages.RequestShowView{
		Now: h.now(), R: r, Moving: moving(r),
		What: []pages.Param{
			param("InstanceType", p.InstanceType, false),
			param("EngineVersion", p.EngineVersion, false),
			param("InstanceClass", p.InstanceClass, true),
			param("InstanceName", p.InstanceName, false),
		},
		Where: []pages.Param{
			param("RegionId", p.RegionId, true),
			param("ZoneId", p.ZoneId, true),
			param("NetworkType", p.NetworkType, false),
			param("VpcId", p.VpcId, true),
			param("VSwitchId", p.VSwitchId, true),
			param("PrivateIp", p.PrivateIp, true),
		},
		Billing: []pages.Param{
			param("ChargeType", p.ChargeType, false),
			param("Period", period, false),
		},
		Other: []pages.Param{
			param("SrcDBInstanceId", p.SrcDBInstanceId, true),
			param("BackupId", p.BackupId, true),
			param("Password", password, false),
			param("Token", p.Token, true),
		},
		CanCancel:  pending && r.RequesterID == u.ID,
		CanDecide:  pending && r.RequesterID != u.ID && u.Role.AtLeast(store.RoleApprover),
		CanRequeue: r.Status == store.StatusFailed && u.Role.AtLeast(store.RoleAdmin),
		OwnRequest: pending && r.RequesterID == u.ID && u.Role.AtLeast(store.RoleApprover),
		Reason:     reasonField("", ""),
	}
	if o, ok := h.catalog(ctx).Offer(p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion, p.InstanceClass); ok {
		v.Capacity = components.Capacity(o.CapacityMB)
		if v.Capacity != "" {
			v.What[2].Value += " (" + v.Capacity + ")"
		}
	}
	for _, e := range events {
		v.Events = append(v.Events, eventView(e))
	}
	return v, nil
}

// param is parameter name as the request's page shows it, labelled as on
// the form (fieldLabels).
func param(name, value string, mono bool) pages.Param {
	return pages.Param{Name: name, Label: fieldLabels[name], Value: value, Mono: mono}
}

// moving reports whether a request is still changing by itself: its page
// then refreshes itself.
func moving(r store.Request) bool {
	switch r.Status {
	case store.StatusApproved, store.StatusProvisioning:
		return true
	case store.StatusSucceeded:
		return strings.EqualFold(r.InstanceStatus, "Creating")
	}
	return false
}

func reasonField(value, problem string) components.Field {
	return components.Field{Name: "reason", Label: "Reason for rejecting", Kind: "textarea", Value: value,
		Error: problem, Required: true, MaxLength: reasonMaxLen,
		Help: "Required. The requester sees it. At most 1000 characters."}
}

// eventView says what an audit event means, in words.
func eventView(e store.Event) pages.EventView {
	ev := pages.EventView{At: e.At, Actor: e.ActorName, Action: e.Action}
	if ev.Actor == "" {
		ev.Actor = "KVPortal"
	}
	d := safeDetails(e.Details)
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	shown := map[string]bool{}
	detail := func(label, key string) {
		shown[key] = true
		if s := str(key); s != "" {
			ev.Details = append(ev.Details, label+s)
		}
	}
	switch e.Action {
	case store.ActionRequestSubmitted:
		ev.Text, ev.Status = "submitted the request", store.StatusPendingApproval
		return ev // the details are the parameters, shown above
	case store.ActionRequestApproved:
		ev.Text, ev.Status = "approved", store.StatusApproved
	case store.ActionRequestRejected:
		ev.Text, ev.Status = "rejected", store.StatusRejected
		detail("Reason: ", "reason")
	case store.ActionRequestCancelled:
		ev.Text, ev.Status = "cancelled the request", store.StatusCancelled
	case store.ActionRequestRequeued:
		ev.Text, ev.Status = "re-queued the request", store.StatusApproved
	case store.ActionAttemptStarted:
		ev.Text, ev.Status = "started a CreateInstance attempt", store.StatusProvisioning
	case store.ActionAttemptFailed:
		ev.Text = "saw an attempt fail; it will retry with the same token"
	case store.ActionAttemptInterrupted:
		ev.Text, ev.Status = "had an attempt cut short by a shutdown; it runs again, not counted", store.StatusApproved
	case store.ActionSucceeded:
		ev.Text, ev.Status = "created the instance", store.StatusSucceeded
		detail("InstanceId: ", "InstanceId")
		detail("InstanceName: ", "InstanceName")
	case store.ActionFailed:
		ev.Text, ev.Status = "gave up: the request failed", store.StatusFailed
	case store.ActionInstanceStatus:
		ev.Text = "saw the instance status change"
	case store.ActionLogin:
		ev.Text = "signed in"
		shown["username"] = true
	case store.ActionLoginFailed:
		ev.Text = "failed sign-in as " + strconv.Quote(str("username"))
		shown["username"] = true
	case store.ActionLogout:
		ev.Text = "signed out"
		shown["username"] = true
	case store.ActionUserCreated:
		ev.Text = "created user " + str("username") + " (" + str("role") + ")"
		shown["username"], shown["role"], shown["user_id"] = true, true, true
	case store.ActionUserRoleChanged:
		ev.Text = "changed the role of " + str("username") + " from " + str("from") + " to " + str("to")
		shown["username"], shown["from"], shown["to"], shown["user_id"] = true, true, true, true
	case store.ActionUserDisabled:
		ev.Text = "disabled user " + str("username")
		shown["username"], shown["user_id"] = true, true
	case store.ActionUserEnabled:
		ev.Text = "enabled user " + str("username")
		shown["username"], shown["user_id"] = true, true
	default:
		ev.Text = e.Action
	}
	detail("Error code: ", "code")
	detail("Error code: ", "error_code")
	detail("Message: ", "message")
	detail("Message: ", "error_message")
	detail("RequestId: ", "request_id")
	var keys []string
	for k := range d {
		if !shown[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if s := str(k); s != "" {
			ev.Details = append(ev.Details, k+": "+s)
		}
	}
	return ev
}
