package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/policy"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// policyRoutes are the approval policies' operations, for admins: the
// version in force, and a new version, checked as the editor and the
// command line check it.
func (s *server) policyRoutes(a huma.API, errs func(codes ...int) []int) {
	huma.Register(a, huma.Operation{
		OperationID: "get-policies", Method: http.MethodGet, Path: "/policies", Tags: []string{"policies"},
		Summary:     "The approval policies in force",
		Description: "Admins only. The newest saved version of the rules document, who saved it and when; 404 when none was ever saved (every request waits for an approver).",
		Security:    bearer, Errors: errs(http.StatusForbidden, http.StatusNotFound),
	}, s.getPolicies)
	huma.Register(a, huma.Operation{
		OperationID: "put-policies", Method: http.MethodPut, Path: "/policies", Tags: []string{"policies"},
		Summary: "Save the approval policies",
		Description: "Admins only. The body is the rules document, as /admin/policies and `portal policies set` take it: " +
			"an ordered list of rules, first match wins. It is checked whole (every key, every CEL condition compiled and " +
			"type-checked); a mistake is a 422 whose detail names the line of the body, the rule and the problem, and " +
			"nothing is saved. Otherwise it is kept as a new version, in force from now, and every earlier version stays.",
		Security: bearer, MaxBodyBytes: policy.MaxDocument,
		Errors: errs(http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity),
	}, s.putPolicies)
	// The body is read as sent (RawBody), so that a mistake's line is the
	// line the admin wrote; huma describes a raw body as bytes, so the
	// document's own schema is put back in the description.
	if item := a.OpenAPI().Paths["/policies"]; item != nil && item.Put != nil && item.Put.RequestBody != nil {
		item.Put.RequestBody.Content = map[string]*huma.MediaType{"application/json": {Schema: policyDocumentSchema()}}
	}
}

// PolicyDocument is a rules document, shown as it was saved.
type PolicyDocument struct{ raw []byte }

// MarshalJSON writes the document as saved; an empty one has no rules.
func (d PolicyDocument) MarshalJSON() ([]byte, error) {
	if len(bytes.TrimSpace(d.raw)) == 0 {
		return []byte(`{"rules": []}`), nil
	}
	return d.raw, nil
}

// Schema describes a rules document.
func (PolicyDocument) Schema(huma.Registry) *huma.Schema { return policyDocumentSchema() }

func policyDocumentSchema() *huma.Schema {
	var example any
	_ = json.Unmarshal([]byte(policy.Example), &example)
	thens := []any{string(policy.Approve), string(policy.RequireApproval), string(policy.Deny)}
	rule := &huma.Schema{Type: "object", Required: []string{"name", "then"}, Properties: map[string]*huma.Schema{
		"name": {Type: "string", Description: "The rule's name, its own in the document: the request page and the audit event name the rule that decided."},
		"when": {Type: "object", Description: "Every key must hold: a parameter's API name, Team or Requester (a string, or a list meaning one of), " +
			"min_period, max_period, min_monthly_price, max_monthly_price."},
		"condition": {Type: "string", Description: "A CEL expression over the request's fields, true or false."},
		"then":      {Type: "string", Enum: thens, Description: "What a request the rule matches gets."},
		"message":   {Type: "string", Description: "Why a deny refuses: the submission's 422 says it."},
	}}
	return &huma.Schema{Type: "object", Required: []string{"rules"},
		Description: "The approval policies: an ordered list of rules, first match wins; a request no rule matches waits for an approver.",
		Properties:  map[string]*huma.Schema{"rules": {Type: "array", Items: rule}},
		Examples:    []any{example}}
}

// PolicyVersion is one saved version of the rules document.
type PolicyVersion struct {
	Version  int64          `json:"version" doc:"The version's number; a request a rule approved names it."`
	SavedBy  string         `json:"saved_by" doc:"Who saved it; empty when it was saved from the command line."`
	SavedAt  time.Time      `json:"saved_at"`
	Rules    int            `json:"rules" doc:"How many rules it has."`
	Document PolicyDocument `json:"document"`
}

type policiesOutput struct {
	Body PolicyVersion
}

type putPoliciesInput struct {
	RawBody []byte
}

// adminOnly refuses whoever is not an admin.
func adminOnly(ctx context.Context) error {
	if !actor(ctx).Role.AtLeast(domain.RoleAdmin) {
		return problem(http.StatusForbidden, workflow.ErrRole.Message)
	}
	return nil
}

func (s *server) getPolicies(ctx context.Context, _ *struct{}) (*policiesOutput, error) {
	if err := adminOnly(ctx); err != nil {
		return nil, err
	}
	v, err := s.Store.CurrentPolicies(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem(http.StatusNotFound, "No policies were ever saved: every request waits for an approver.")
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	rules := 0
	if ps, err := policy.Parse([]byte(v.Document)); err == nil {
		rules = len(ps.Rules)
	}
	return &policiesOutput{Body: policyVersion(v, rules)}, nil
}

func (s *server) putPolicies(ctx context.Context, in *putPoliciesInput) (*policiesOutput, error) {
	if err := adminOnly(ctx); err != nil {
		return nil, err
	}
	id := actor(ctx).ID
	v, ps, err := s.Admin.SavePolicies(ctx, &id, in.RawBody)
	var perr *policy.Error
	if errors.As(err, &perr) {
		return nil, problem(http.StatusUnprocessableEntity, "The policies were not saved: "+perr.Error()+".")
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &policiesOutput{Body: policyVersion(v, len(ps.Rules))}, nil
}

func policyVersion(v store.PolicyVersion, rules int) PolicyVersion {
	return PolicyVersion{Version: v.ID, SavedBy: v.Author, SavedAt: v.CreatedAt.UTC(), Rules: rules,
		Document: PolicyDocument{[]byte(v.Document)}}
}
