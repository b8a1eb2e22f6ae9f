package api

import (
	"encoding/json"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kvportal/kvportal/domain"
)

// Request is a request as the API shows it: its state, every parameter
// under its API name (never the password: password_set says whether one
// was given), its outcome and who decided. Its keys come from domain.Table,
// in its schema as in its JSON.
type Request struct{ r domain.Request }

// fixedSchemas are the keys of a Request beside its parameters, made anew
// for each description: huma writes into the schemas it is given.
func fixedSchemas() map[string]*huma.Schema {
	return map[string]*huma.Schema{
		"id":               {Type: "integer", Format: "int64", Description: "The request's id."},
		"status":           {Type: "string", Enum: statusEnum(), Description: "The request's state."},
		"password_set":     {Type: "boolean", Description: "Whether a Password was given (it is never shown)."},
		"InstanceId":       {Type: "string", Description: "The instance created, once it is."},
		"ConnectionDomain": {Type: "string", Description: "The instance's address, once the cloud reports it."},
		"PrivateAddress":   {Type: "string", Description: "A VPC instance's private IP address, once the cloud reports it."},
		"instance_status":  {Type: "string", Description: "The instance's own status at the cloud (Creating, Normal, …)."},
		"error_code":       {Type: "string", Description: "The cloud's error code of a failed request."},
		"error_message":    {Type: "string", Description: "The cloud's error message of a failed request."},
		"requester":        {Type: "string", Description: "Who submitted it."},
		"created_at":       {Type: "string", Format: "date-time"},
		"decided_by":       {Type: "string", Nullable: true, Description: "Who approved or rejected it; null while pending or when a policy decided."},
		"reason":           {Type: "string", Description: "Why it was rejected."},
		domain.TeamField:   {Type: "string", Description: "The requester's team it is for; empty for a requester in no team."},
		"decided_by_rule":  {Type: "string", Description: "The approval policies' rule that approved it at submission; empty when a person decided."},
		"ReleaseAfter":     {Type: "string", Format: "date-time", Nullable: true, Description: "A creation's lease: when the portal releases the instance; null for none."},
		"Kind":             {Type: "string", Enum: kindEnum(), Description: "What it asks: create (a new instance) or a change of the instance InstanceId names."},
		"change": {Type: "object", Description: "What a change asks, as validated (never a password): the kind's fields, and what they replace.",
			Properties: map[string]*huma.Schema{
				"SecurityIps":      {Type: "string", Description: "The new whitelist (set_whitelist), or the whitelist a creation sets once its instance is Normal."},
				"FromSecurityIps":  {Type: "string", Description: "The whitelist it replaces (set_whitelist)."},
				"InstanceClass":    {Type: "string", Description: "The new class (modify_spec)."},
				"FromClass":        {Type: "string", Description: "The class it replaces (modify_spec)."},
				"EffectiveTime":    {Type: "string", Description: "Immediately or MaintainTime (modify_spec)."},
				"OrderType":        {Type: "string", Description: "UPGRADE or DOWNGRADE (modify_spec)."},
				"ReleaseAfter":     {Type: "string", Format: "date-time", Description: "The lease's new end (extend_lease)."},
				"FromReleaseAfter": {Type: "string", Format: "date-time", Description: "The end it replaces (extend_lease)."},
				"Period":           {Type: "integer", Description: "The months a renewal adds (renew)."},
			}},
	}
}

// kindEnum lists the kinds of request.
func kindEnum() []any {
	var out []any
	for _, k := range domain.KindNames() {
		out = append(out, k)
	}
	return out
}

func statusEnum() []any {
	var out []any
	for _, s := range domain.Statuses() {
		out = append(out, string(s))
	}
	return out
}

// Schema describes a Request from the table.
func (Request) Schema(huma.Registry) *huma.Schema {
	props := fixedSchemas()
	required := []string{"id", "status", "password_set", "requester", "created_at", "Kind"}
	for _, m := range domain.Table {
		if m.Kind == domain.KindSecret {
			continue
		}
		props[m.Name] = paramSchema(m)
		required = append(required, m.Name)
	}
	// Port is both a parameter and half of where to connect: one key, the
	// port asked for until the cloud reports the instance's own.
	props["Port"].Description = "The port: as requested until the instance exists, then the instance's as the cloud reports it."
	return &huma.Schema{Type: "object", Properties: props, Required: required, AdditionalProperties: false,
		Examples: []any{exampleRequest()}}
}

// paramSchema is the schema of a parameter's value as the API shows it.
func paramSchema(m domain.Param) *huma.Schema {
	s := &huma.Schema{Type: "string", Description: m.Label + ". " + m.FullRule()}
	if _, ok := m.Value(domain.Params{}).(int); ok {
		s.Type = "integer"
	}
	return s
}

// MarshalJSON writes the request's keys.
func (x Request) MarshalJSON() ([]byte, error) { return json.Marshal(x.fields()) }

func (x Request) fields() map[string]any {
	r := x.r
	out := map[string]any{
		"id": r.ID, "status": r.Status, "password_set": r.PasswordSet, "InstanceId": r.InstanceID,
		"instance_status": r.InstanceStatus, "error_code": r.ErrorCode, "error_message": r.ErrorMessage,
		"requester": r.RequesterName, "created_at": r.CreatedAt.UTC().Format(time.RFC3339Nano),
		"reason": r.DecisionReason, "decided_by": nil, domain.TeamField: r.Team, "decided_by_rule": r.DecidedByRule,
		"Kind": r.Kind.Spec().Kind, "ReleaseAfter": nil,
	}
	if r.ReleaseAfter != nil {
		out["ReleaseAfter"] = r.ReleaseAfter.UTC().Format(time.RFC3339)
	}
	if c := r.Change; c != (domain.Change{}) {
		out["change"] = c
	}
	for _, m := range domain.Table {
		if m.Kind != domain.KindSecret {
			out[m.Name] = m.ValueAt(&r.Params)
		}
	}
	if r.ResultName != "" {
		out["InstanceName"] = r.ResultName
	}
	if r.DeciderName != "" {
		out["decided_by"] = r.DeciderName
	}
	// Where to connect as last recorded (the follow-up sweep keeps it up to
	// date); requests created before it was recorded have only the
	// CreateInstance answer. The cloud's port replaces the one asked for
	// under the same key (see Schema).
	if r.ConnectionDomain != "" {
		out["ConnectionDomain"] = r.ConnectionDomain
	} else if v, ok := r.Result["ConnectionDomain"].(string); ok && v != "" {
		out["ConnectionDomain"] = v
	}
	if r.ConnectionPort > 0 {
		out["Port"] = int64(r.ConnectionPort)
	} else if v, ok := r.Result["Port"].(float64); ok && v > 0 {
		out["Port"] = int64(v)
	}
	if r.PrivateAddress != "" {
		out["PrivateAddress"] = r.PrivateAddress
	}
	return out
}

// exampleRequest is a request as the API shows it, for the description.
func exampleRequest() map[string]any {
	p, _ := domain.Validate(exampleInput(), nil)
	p.Token = "req-3f1c2a9e8b7d4c6a5e0f1a2b3c4d5e6f"
	r := domain.Request{ID: 42, Status: domain.StatusPendingApproval, Params: p, PasswordSet: true,
		RequesterName: "rita", CreatedAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)}
	return Request{r}.fields()
}

// exampleInput is a valid submission.
func exampleInput() domain.Input {
	return domain.Input{"InstanceName": "orders-cache", "Password": "Ch4ngeMe2026", "InstanceClass": "redis.master.small.default",
		"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-b", "ChargeType": "PostPaid", "NetworkType": "Classic",
		"InstanceType": "Redis", "EngineVersion": "4.0"}
}

// Submission is the body of a new request: a JSON object whose keys are the
// form's field names, each a string, or a number for Period. Unknown keys
// are refused.
type Submission map[string]json.RawMessage

// Schema describes a Submission from the table.
func (Submission) Schema(huma.Registry) *huma.Schema {
	props := map[string]*huma.Schema{}
	for _, m := range domain.Table {
		s := &huma.Schema{Type: "string", Description: m.Label + ". " + m.FullRule()}
		if m.MaxLen > 0 {
			s.MaxLength = &m.MaxLen
		}
		if _, ok := m.Value(domain.Params{}).(int); ok {
			s = &huma.Schema{Description: s.Description, OneOf: []*huma.Schema{{Type: "integer"}, {Type: "string"}}}
		}
		if m.Kind == domain.KindSecret {
			s.WriteOnly = true
		}
		props[m.Name] = s
	}
	props[domain.TeamField] = &huma.Schema{Type: "string", Description: "The team the instance is for: one of the requester's teams; " +
		"may be left out when they are in one team (it is that one) or none."}
	props[domain.SecurityIpsField] = &huma.Schema{Type: "string", Description: "The IP whitelist the portal sets " +
		"(group kvportal) once the instance is Normal: IPv4 or IPv6 addresses or CIDR blocks, comma-separated, at most 1,000; " +
		"left out or empty, none is set and no client can connect until a set_whitelist change."}
	props[domain.ReleaseAfterField] = &huma.Schema{Type: "string", Description: "The lease: when the portal releases the " +
		"instance, a date (yyyy-mm-dd, the end of that day UTC) or an RFC 3339 time, at least PORTAL_MIN_LEASE ahead; " +
		"required, and bounded, when the team has a longest lease."}
	ex := map[string]any{}
	for k, v := range exampleInput() {
		ex[k] = v
	}
	return &huma.Schema{Type: "object", Properties: props, AdditionalProperties: false, Examples: []any{ex},
		Description: "The CreateInstance parameters, under the form's field names. Period is a number or a string."}
}

// input reads a submission: each known key as the form would have sent it.
// Unknown keys, values of the wrong type and control characters are field
// errors.
func (b Submission) input() (domain.Input, domain.FieldErrors) {
	in := domain.Input{}
	errs := domain.FieldErrors{}
	for k, raw := range b {
		if k == domain.TeamField || k == domain.SecurityIpsField || k == domain.ReleaseAfterField { // not parameters: never sent with CreateInstance
			var team string
			if string(raw) != "null" && json.Unmarshal(raw, &team) != nil {
				errs[k] = "must be a string"
				continue
			}
			in[k] = team
			if problem := domain.TextProblem(team); problem != "" {
				errs[k] = problem
			}
			continue
		}
		m, ok := domain.ParamByName(k)
		if !ok {
			errs[k] = "is not a parameter of a request: the keys are the form's field names"
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			in[k] = s
			// Refused even where the rules would ignore the key (a
			// Period of a pay-as-you-go request): no such text is
			// stored or sent on.
			if problem := domain.TextProblem(s); problem != "" {
				errs[k] = problem
			}
			continue
		}
		var n json.Number
		if _, isInt := m.Value(domain.Params{}).(int); isInt && json.Unmarshal(raw, &n) == nil {
			in[k] = n.String()
			continue
		}
		if string(raw) == "null" {
			continue
		}
		errs[k] = "must be a string"
		if _, isInt := m.Value(domain.Params{}).(int); isInt {
			errs[k] = "must be a number or a string"
		}
	}
	return in, errs
}
