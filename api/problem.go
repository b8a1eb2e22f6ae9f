package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
)

// Problem is an error answer (RFC 9457, application/problem+json). A 422
// lists what is wrong with each field in Errors, in the form's words.
type Problem struct {
	Type   string       `json:"type,omitempty" doc:"A URI reference to the problem's type; about:blank here."`
	Title  string       `json:"title" example:"Unprocessable Entity" doc:"The HTTP status's text."`
	Status int          `json:"status" example:"422" doc:"The HTTP status code."`
	Detail string       `json:"detail,omitempty" example:"The request has errors: see errors." doc:"What happened, in words to show."`
	Errors []FieldError `json:"errors,omitempty" doc:"One entry per field in error (422)."`
}

// FieldError is what is wrong with one field: the message completes a
// sentence that starts with the field's name.
type FieldError struct {
	Field   string `json:"field" example:"InstanceName" doc:"The JSON key (a request parameter's API name), header or query parameter."`
	Message string `json:"message" example:"must start with a letter or a Chinese character"`
}

func (p *Problem) Error() string { return p.Detail }

// GetStatus is the HTTP status huma answers with.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes a problem application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

func problem(status int, detail string) *Problem {
	return &Problem{Title: http.StatusText(status), Status: status, Detail: detail}
}

// invalid is a 422 listing errs, sorted by field in the table's order.
func invalid(errs domain.FieldErrors) *Problem {
	p := problem(http.StatusUnprocessableEntity, "The request has errors: see errors.")
	for _, m := range domain.Table {
		if msg, ok := errs[m.Name]; ok {
			p.Errors = append(p.Errors, FieldError{Field: m.Name, Message: msg})
		}
	}
	var rest []string
	for k := range errs {
		if _, ok := domain.ParamByName(k); !ok {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		p.Errors = append(p.Errors, FieldError{Field: k, Message: errs[k]})
	}
	return p
}

// unsupportedMediaType is the 415's detail: a body in another format than
// JSON, most often curl's -d without a Content-Type header (which it then
// sends as a form). A body sent with no Content-Type at all is read as JSON.
const unsupportedMediaType = "The body must be JSON: send it with the header Content-Type: application/json " +
	"(curl -d without that header sends application/x-www-form-urlencoded)."

// newProblem is huma.NewError: huma's own errors (a parameter that does not
// parse, an unknown key, a body too large) as Problems, the location
// ("body.reason", "query.status") reduced to the field's name.
func newProblem(status int, msg string, errs ...error) huma.StatusError {
	p := problem(status, msg)
	if status >= 500 {
		p.Detail = "Internal error. Something went wrong on our side; nothing you sent caused it."
		return p
	}
	if msg != "" {
		p.Detail = strings.ToUpper(msg[:1]) + msg[1:] + "."
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		fe := FieldError{Message: err.Error()}
		if d, ok := err.(huma.ErrorDetailer); ok {
			det := d.ErrorDetail()
			fe.Message = det.Message
			fe.Field = det.Location
			if _, rest, ok := strings.Cut(det.Location, "."); ok {
				fe.Field = rest
			}
		}
		p.Errors = append(p.Errors, fe)
		// A body huma could not read for its format is a 415 on every
		// route, those that read the body themselves included (huma
		// calls those a 422).
		if strings.HasPrefix(fe.Message, huma.ErrUnknownContentType.Error()) {
			p.Status, p.Title = http.StatusUnsupportedMediaType, http.StatusText(http.StatusUnsupportedMediaType)
		}
	}
	if p.Status == http.StatusUnsupportedMediaType {
		// huma's own words ("Validation failed") don't say what to do.
		p.Detail = unsupportedMediaType
	}
	return p
}

// WriteProblem answers an Echo request with a Problem: for the errors Echo
// raises itself under the API's prefix (no such route, method not allowed).
func WriteProblem(c echo.Context, status int, detail string) error {
	b, err := json.Marshal(problem(status, detail))
	if err != nil {
		return err
	}
	return c.Blob(status, "application/problem+json", b)
}
