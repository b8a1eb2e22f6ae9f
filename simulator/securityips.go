package simulator

import (
	"cmp"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The whitelist's rules.
const (
	// defaultIPGroup is the group a new instance has, holding 127.0.0.1
	// alone: no client can connect until a whitelist is set.
	defaultIPGroup = "default"
	// maxSecurityIps is the most entries a group holds.
	maxSecurityIps = 1000
)

// groupNamePattern is the rule of a group name: 2 to 120 lowercase letters,
// digits and underscores, starting with a letter.
var groupNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,119}$`)

// systemIPGroups are groups the cloud's own services make (the reference
// says they must not be changed without naming them: these are the
// simulator's choice).
var systemIPGroups = []string{"ali_dms_group", "hdm_security_ips", "dts_ip_list"}

var (
	errGroupNameFormat = &apiError{http.StatusBadRequest, "InvalidGroupName.Format",
		"The specified SecurityIpGroupName is not valid: 2 to 120 lowercase letters, digits and underscores, starting with a letter."}
	errSystemGroup = &apiError{http.StatusForbidden, "InvalidSecurityIpGroupName.System",
		"The specified security IP group was made by the system and cannot be changed."}
)

// The values of ModifySecurityIps' ModifyMode.
const (
	modeCover  = "Cover"
	modeAppend = "Append"
	modeDelete = "Delete"
)

// modifySecurityIps serves ModifySecurityIps (InstanceId, SecurityIps,
// SecurityIpGroupName, ModifyMode) on a Normal instance. Cover replaces the
// group's entries (making the group if needed), Append adds those it lacks,
// Delete removes those given. Each entry is an IPv4 or IPv6 address or CIDR
// block; an entry given twice is kept once; a group holds at most 1,000.
// The simulator's choices where the reference is silent: Delete of a group
// that does not exist is refused, a Delete that empties a group removes it,
// except the default group, which keeps at least one entry;
// SecurityIpGroupAttribute is ignored.
func (s *Simulator) modifySecurityIps(w http.ResponseWriter, c *call) *apiError {
	id := c.param("InstanceId")
	if id == "" {
		return errMissing("InstanceId")
	}
	if c.param("SecurityIps") == "" {
		return errMissing("SecurityIps")
	}
	group := cmp.Or(c.param("SecurityIpGroupName"), defaultIPGroup)
	if !groupNamePattern.MatchString(group) {
		return errGroupNameFormat
	}
	if slices.Contains(systemIPGroups, group) {
		return errSystemGroup
	}
	var mode string
	for _, m := range []string{modeCover, modeAppend, modeDelete} {
		if strings.EqualFold(cmp.Or(c.param("ModifyMode"), modeCover), m) {
			mode = m
		}
	}
	if mode == "" {
		return errInvalid("ModifyMode", "must be Cover, Append or Delete")
	}
	ips, e := parseSecurityIps(c.param("SecurityIps"))
	if e != nil {
		return e
	}
	e = s.changeInstance(id, func(in *Instance) *apiError {
		if in.Status(s.clock.Now(), s.creatingDelay) != "Normal" {
			return errIncorrectState
		}
		groups, e := applySecurityIps(in.securityIpGroups(), group, mode, ips)
		if e != nil {
			return e
		}
		in.SecurityIpGroups = groups
		return nil
	})
	if e != nil {
		return e
	}
	return s.answerDone(w, c, okResponse{RequestId: c.requestID})
}

// parseSecurityIps reads a comma-separated whitelist: every entry an IPv4
// or IPv6 address or CIDR block, each kept once, in the order given.
func parseSecurityIps(list string) ([]string, *apiError) {
	var ips []string
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" || slices.Contains(ips, entry) {
			continue
		}
		if _, err := netip.ParseAddr(entry); err != nil {
			if _, err := netip.ParsePrefix(entry); err != nil {
				return nil, errInvalid("SecurityIps", strconv.Quote(entry)+" is neither an IP address nor a CIDR block")
			}
		}
		ips = append(ips, entry)
	}
	if len(ips) == 0 {
		return nil, errMissing("SecurityIps")
	}
	if len(ips) > maxSecurityIps {
		return nil, errInvalid("SecurityIps", "at most "+strconv.Itoa(maxSecurityIps)+" entries may be given")
	}
	return ips, nil
}

// applySecurityIps returns new groups: groups with the mode applied to the
// named one. groups itself is not modified, so that a refused or unsaved
// change leaves the instance as it was.
func applySecurityIps(groups []SecurityIpGroup, name, mode string, ips []string) ([]SecurityIpGroup, *apiError) {
	out := make([]SecurityIpGroup, 0, len(groups)+1)
	found := false
	for _, g := range groups {
		if g.Name != name {
			out = append(out, SecurityIpGroup{Name: g.Name, IPs: slices.Clone(g.IPs)})
			continue
		}
		found = true
		var next []string
		switch mode {
		case modeCover:
			next = slices.Clone(ips)
		case modeAppend:
			next = slices.Clone(g.IPs)
			for _, ip := range ips {
				if !slices.Contains(next, ip) {
					next = append(next, ip)
				}
			}
		case modeDelete:
			for _, ip := range g.IPs {
				if !slices.Contains(ips, ip) {
					next = append(next, ip)
				}
			}
		}
		if len(next) > maxSecurityIps {
			return nil, errInvalid("SecurityIps", "a group holds at most "+strconv.Itoa(maxSecurityIps)+" entries")
		}
		if len(next) == 0 {
			if name == defaultIPGroup {
				return nil, errInvalid("SecurityIps", "the default group keeps at least one entry")
			}
			continue // an emptied group is removed
		}
		out = append(out, SecurityIpGroup{Name: name, IPs: next})
	}
	if !found {
		if mode == modeDelete {
			return nil, errInvalid("SecurityIpGroupName", "the instance has no group "+strconv.Quote(name))
		}
		out = append(out, SecurityIpGroup{Name: name, IPs: slices.Clone(ips)})
	}
	return out, nil
}

// securityIpsResponse is DescribeSecurityIps' answer, in the API's shape.
type securityIpsResponse struct {
	RequestId        string
	SecurityIpGroups struct{ SecurityIpGroup []wireIPGroup }
}

type wireIPGroup struct {
	SecurityIpGroupName      string
	SecurityIpGroupAttribute string
	SecurityIpList           string
}

// describeSecurityIps serves DescribeSecurityIps (InstanceId): the
// instance's whitelist groups, the default group first.
func (s *Simulator) describeSecurityIps(w http.ResponseWriter, c *call) *apiError {
	id := c.param("InstanceId")
	if id == "" {
		return errMissing("InstanceId")
	}
	inst, ok := s.state.get(id)
	if !ok {
		return errInstanceNotFound
	}
	resp := securityIpsResponse{RequestId: c.requestID}
	resp.SecurityIpGroups.SecurityIpGroup = []wireIPGroup{}
	for _, g := range inst.securityIpGroups() {
		resp.SecurityIpGroups.SecurityIpGroup = append(resp.SecurityIpGroups.SecurityIpGroup,
			wireIPGroup{SecurityIpGroupName: g.Name, SecurityIpList: strings.Join(g.IPs, ",")})
	}
	writeJSON(w, http.StatusOK, c.requestID, resp)
	return nil
}
