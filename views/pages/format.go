package pages

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/kvportal/kvportal/domain"
)

// requestURL is the page of request r.
func requestURL(id int64) string { return "/requests/" + strconv.FormatInt(id, 10) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// reasonID is the id of the reason field of request id's row in the
// approvals queue.
func reasonID(id int64) string { return "reason-" + itoa(id) }

// name is how a request is called in lists: a change by what it does, a
// creation by its instance's name.
func name(r domain.Request) string {
	switch {
	case r.Kind.IsChange():
		// A change is named by what it does: its instance is beside it.
		return r.Kind.Spec().Label
	case r.ResultName != "":
		return r.ResultName
	case r.Params.InstanceName != "":
		return r.Params.InstanceName
	}
	return "(no name)"
}

// typeAndVersion is "Redis 4.0".
func typeAndVersion(p domain.Params) string {
	return strings.TrimSpace(p.InstanceType + " " + p.EngineVersion)
}

// placement is "cn-hangzhou / cn-hangzhou-b".
func placement(p domain.Params) string {
	if p.ZoneId == "" {
		return p.RegionId
	}
	return p.RegionId + " / " + p.ZoneId
}

// billing is "PostPaid" or "PrePaid, 12 months".
func billing(p domain.Params) string {
	if months := p.PrePaidMonths(); months > 0 {
		return p.ChargeType + ", " + domain.PeriodText(months)
	}
	return p.ChargeType
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// ssoURL starts a single sign-on that comes back to next.
func ssoURL(next string) string {
	if next == "" {
		return "/auth/oidc/login"
	}
	return "/auth/oidc/login?next=" + url.QueryEscape(next)
}

// userURL is the base of the admin's actions on user id.
func userURL(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

// joinOrNone lists names, or says "none".
func joinOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
