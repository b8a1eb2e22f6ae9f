package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/clientgone"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// routes is the API's route table.
func (s *server) routes(a huma.API) {
	errs := func(codes ...int) []int {
		return append([]int{http.StatusUnauthorized, http.StatusTooManyRequests}, codes...)
	}
	huma.Register(a, huma.Operation{
		OperationID: "submit-request", Method: http.MethodPost, Path: "/requests", Tags: []string{"requests"},
		Summary: "Submit a request",
		Description: "Validates the request with the form's rules and stores it, pending approval. With an " +
			"Idempotency-Key, the same key from the same user returns the first request (200) instead of a second one.",
		Security: bearer, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxBody, SkipValidateBody: true,
		Errors: errs(http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity),
		Responses: map[string]*huma.Response{"200": {
			Description: "A replay: the Idempotency-Key was used before by the same user with the same body, " +
				"and this is the request it made then (no second one).",
			Content: map[string]*huma.MediaType{"application/json": {
				Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(Request{}), true, "")}},
		}},
	}, s.submit)
	huma.Register(a, huma.Operation{
		OperationID: "list-requests", Method: http.MethodGet, Path: "/requests", Tags: []string{"requests"},
		Summary: "List requests",
		Description: "The caller's requests, newest first (admins: everyone's with all=true), 50 at a time: " +
			"pass next_cursor as cursor for the next page.",
		Security: bearer, Errors: errs(http.StatusUnprocessableEntity),
	}, s.list)
	huma.Register(a, huma.Operation{
		OperationID: "get-request", Method: http.MethodGet, Path: "/requests/{id}", Tags: []string{"requests"},
		Summary:     "Get a request",
		Description: "Its requester, approvers and admins see a request; to others it does not exist (404).",
		Security:    bearer, Errors: errs(http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.get)
	decision := func(id, path, summary, desc string, h func(context.Context, *idInput) (*requestOutput, error)) {
		huma.Register(a, huma.Operation{
			OperationID: id, Method: http.MethodPost, Path: "/requests/{id}/" + path, Tags: []string{"requests"},
			Summary: summary, Description: desc, Security: bearer, MaxBodyBytes: maxBody,
			Errors: errs(http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity),
		}, h)
	}
	decision("approve-request", "approve", "Approve a request",
		"Approvers and admins, never on their own request (403). 409 when it is no longer pending: "+
			"someone decided first.", s.approve)
	decision("cancel-request", "cancel", "Cancel a request",
		"Only its requester, while it is pending (409 otherwise).", s.cancel)
	huma.Register(a, huma.Operation{
		OperationID: "reject-request", Method: http.MethodPost, Path: "/requests/{id}/reject", Tags: []string{"requests"},
		Summary: "Reject a request",
		Description: "Approvers and admins, never on their own request (403), with a reason. 409 when it is " +
			"no longer pending: someone decided first.",
		Security: bearer, MaxBodyBytes: maxBody,
		Errors: errs(http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity),
	}, s.reject)
	s.policyRoutes(a, errs)
	s.instanceRoutes(a, errs)
	huma.Register(a, huma.Operation{
		OperationID: "retry-request", Method: http.MethodPost, Path: "/requests/{id}/retry", Tags: []string{"requests"},
		Summary: "Retry a failed request with a new password",
		Description: "Only its requester (403), for a failed request whose instance password was erased: the " +
			"same token goes to the cloud again, so never a second instance. 409 for a request in another " +
			"state, or a failed one that still keeps its password (an admin re-queues those); 422 for a " +
			"password that breaks the rule.",
		Security: bearer, MaxBodyBytes: maxBody,
		Errors: errs(http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity),
	}, s.retry)
	huma.Register(a, huma.Operation{
		OperationID: "get-catalog", Method: http.MethodGet, Path: "/catalog", Tags: []string{"catalog"},
		Summary:     "What the form offers",
		Description: "Regions, zones, instance types, classes and engine versions, as the cloud last said. known is false when the cloud's list could not be loaded: then the values are not restricted.",
		Security:    bearer, Errors: errs(),
	}, s.catalog)
}

func (s *server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// fail turns a workflow's error into the API's answer: its refusals in its
// words, a state that no longer allows the step as a 409 saying what it is
// now, anything else logged and a plain 500.
func (s *server) fail(ctx context.Context, err error) error {
	var fe *workflow.Error
	var stateErr *domain.StateError
	var held *domain.ChangeHeldError
	switch {
	case errors.As(err, &held):
		return problem(http.StatusConflict, held.Error())
	case errors.As(err, &fe) && fe.Kind == workflow.NotFound:
		return problem(http.StatusNotFound, fe.Message)
	case errors.As(err, &fe) && fe.Kind == workflow.OverLimit:
		return problem(http.StatusUnprocessableEntity, fe.Message)
	case errors.As(err, &fe) && fe.Kind == workflow.Conflict:
		return problem(http.StatusConflict, fe.Message)
	case errors.As(err, &fe):
		return problem(http.StatusForbidden, fe.Message)
	case errors.As(err, &stateErr):
		return problem(http.StatusConflict, alreadyMoved(stateErr.Current))
	}
	if clientgone.Is(ctx) {
		// Nobody reads the answer, and it is not the portal's failure.
		s.logger().DebugContext(ctx, "api: client went away", "err", err)
	} else {
		s.logger().ErrorContext(ctx, "api", "err", err)
	}
	return problem(http.StatusInternalServerError, "Internal error. Something went wrong on our side; nothing you sent caused it.")
}

// alreadyMoved says what became of a request someone moved first.
func alreadyMoved(r domain.Request) string {
	msg := "Request " + strconv.FormatInt(r.ID, 10) + " is " + string(r.Status)
	if r.DeciderName != "" {
		msg += " (decided by " + r.DeciderName + ")"
	}
	return msg + ": its state no longer allows this, and nothing was changed."
}

type requestOutput struct {
	Body Request
}

type submitInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes retries safe: the same key from the same user returns the first request (200). The same key with another body is a 422."`
	Body           Submission
}

type submitOutput struct {
	Status   int
	Location string `header:"Location" doc:"The new request's address."`
	Body     Request
}

func (s *server) submit(ctx context.Context, in *submitInput) (*submitOutput, error) {
	input, errs := in.Body.input()
	if len(errs) > 0 {
		// Report the rules' findings on the keys that were read, too.
		_, more := s.Workflow.Validate(ctx, input)
		for k, v := range more {
			if _, sent := in.Body[k]; sent {
				if _, dup := errs[k]; !dup {
					errs[k] = v
				}
			}
		}
		return nil, invalid(errs)
	}
	r, created, errs, err := s.Workflow.SubmitOnce(ctx, actor(ctx), input, in.IdempotencyKey)
	switch {
	case err != nil:
		return nil, s.fail(ctx, err)
	case len(errs) > 0:
		return nil, invalid(errs)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &submitOutput{Status: status, Location: Prefix + "/requests/" + strconv.FormatInt(r.ID, 10), Body: Request{r}}, nil
}

type idInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The request's id."`
}

func (s *server) get(ctx context.Context, in *idInput) (*requestOutput, error) {
	r, err := s.Workflow.Request(ctx, actor(ctx), in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &requestOutput{Request{r}}, nil
}

func (s *server) approve(ctx context.Context, in *idInput) (*requestOutput, error) {
	r, err := s.Workflow.Approve(ctx, actor(ctx), in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &requestOutput{Request{r}}, nil
}

func (s *server) cancel(ctx context.Context, in *idInput) (*requestOutput, error) {
	r, err := s.Workflow.Cancel(ctx, actor(ctx), in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &requestOutput{Request{r}}, nil
}

type rejectInput struct {
	ID   int64 `path:"id" minimum:"1" doc:"The request's id."`
	Body struct {
		Reason string `json:"reason" doc:"Why, for the requester: required, at most 1000 characters." example:"Use the shared cache in cn-hangzhou instead."`
	}
}

func (s *server) reject(ctx context.Context, in *rejectInput) (*requestOutput, error) {
	r, errs, err := s.Workflow.Reject(ctx, actor(ctx), in.ID, in.Body.Reason)
	switch {
	case err != nil:
		return nil, s.fail(ctx, err)
	case len(errs) > 0:
		return nil, invalid(errs)
	}
	return &requestOutput{Request{r}}, nil
}

type retryInput struct {
	ID   int64 `path:"id" minimum:"1" doc:"The request's id."`
	Body struct {
		Password string `json:"Password" doc:"The new instance password, under the same rule as a submission's; never shown again."`
	}
}

func (s *server) retry(ctx context.Context, in *retryInput) (*requestOutput, error) {
	r, errs, err := s.Workflow.Retry(ctx, actor(ctx), in.ID, in.Body.Password)
	switch {
	case err != nil:
		return nil, s.fail(ctx, err)
	case len(errs) > 0:
		return nil, invalid(errs)
	}
	return &requestOutput{Request{r}}, nil
}

type listInput struct {
	Status string `query:"status" doc:"Only requests in this state." enum:"pending_approval,approved,provisioning,succeeded,failed,rejected,cancelled"`
	All    bool   `query:"all" doc:"Admins: everyone's requests, not only the caller's."`
	Team   string `query:"team" doc:"Only the requests of this team." maxLength:"64"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page."`
}

type listOutput struct {
	Body struct {
		Items      []Request `json:"items" nullable:"false"`
		NextCursor string    `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

// pageSize is the number of requests of a page.
const pageSize = 50

func (s *server) list(ctx context.Context, in *listInput) (*listOutput, error) {
	a := actor(ctx)
	if in.Team != "" && !domain.ValidTeamName(in.Team) {
		return nil, invalid(domain.FieldErrors{"team": "must be a team's name"})
	}
	f := store.RequestFilter{RequesterID: a.ID, Status: domain.Status(in.Status), Team: in.Team, Limit: pageSize}
	if in.All {
		if !a.Role.AtLeast(domain.RoleAdmin) {
			return nil, problem(http.StatusForbidden, workflow.ErrRole.Message)
		}
		f.RequesterID = 0
	}
	if in.Cursor != "" {
		id, err := strconv.ParseInt(in.Cursor, 10, 64)
		if err != nil || id <= 0 {
			return nil, invalid(domain.FieldErrors{"cursor": "is not a cursor this API gave: pass next_cursor as it came"})
		}
		f.BeforeID = id
	}
	rs, err := s.Store.ListRequests(ctx, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &listOutput{}
	out.Body.Items = make([]Request, len(rs))
	for i, r := range rs {
		out.Body.Items[i] = Request{r}
	}
	if len(rs) == pageSize {
		out.Body.NextCursor = strconv.FormatInt(rs[len(rs)-1].ID, 10)
	}
	return out, nil
}
