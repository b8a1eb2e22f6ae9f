package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/api"
)

// The description is served to anyone, describes every route the API has,
// and every example in it validates against its schema.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	if res.status != 200 || res.body["openapi"] != "3.1.0" {
		t.Fatalf("openapi.json: %d %.200s", res.status, res.raw)
	}
	paths := res.body["paths"].(map[string]any)

	ech := echo.New()
	a := api.Register(ech, api.Deps{})
	described := 0
	for _, r := range ech.Routes() {
		rest, ok := strings.CutPrefix(r.Path, api.Prefix)
		if !ok || strings.HasPrefix(rest, "/openapi") {
			continue
		}
		// Echo writes {id} as :id.
		parts := strings.Split(rest, "/")
		for i, part := range parts {
			if name, ok := strings.CutPrefix(part, ":"); ok {
				parts[i] = "{" + name + "}"
			}
		}
		p := strings.Join(parts, "/")
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Errorf("%s %s not described", r.Method, r.Path)
			continue
		}
		op, ok := item[strings.ToLower(r.Method)].(map[string]any)
		if !ok {
			t.Errorf("%s %s not described", r.Method, r.Path)
			continue
		}
		described++
		if op["security"] == nil || op["summary"] == nil {
			t.Errorf("%s %s: no security or summary", r.Method, r.Path)
		}
		responses := op["responses"].(map[string]any)
		codes := []string{"401", "429"}
		if _, body := op["requestBody"]; body {
			codes = append(codes, "415")
		}
		if r.Method == http.MethodPost && rest == "/requests" {
			codes = append(codes, "200", "201")
		}
		for _, code := range codes {
			if responses[code] == nil {
				t.Errorf("%s %s: %s not described", r.Method, r.Path, code)
			}
		}
	}
	if described != 13 {
		t.Errorf("%d operations described, want 13", described)
	}

	// Every example, on a schema and on its properties, validates.
	oapi := a.OpenAPI()
	reg := oapi.Components.Schemas
	examples := 0
	var check func(where string, s *huma.Schema, mode huma.ValidateMode, depth int)
	check = func(where string, s *huma.Schema, mode huma.ValidateMode, depth int) {
		if s == nil || depth > 4 {
			return
		}
		if s.Ref != "" {
			s = reg.SchemaFromRef(s.Ref)
		}
		for _, ex := range s.Examples {
			examples++
			var v any
			b, _ := json.Marshal(ex)
			_ = json.Unmarshal(b, &v)
			res := &huma.ValidateResult{}
			huma.Validate(reg, s, huma.NewPathBuffer(nil, 0), mode, v, res)
			for _, err := range res.Errors {
				t.Errorf("%s: example %s: %v", where, b, err)
			}
		}
		for name, p := range s.Properties {
			check(where+"."+name, p, mode, depth+1)
		}
		check(where+"[]", s.Items, mode, depth+1)
	}
	for p, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put} {
			if op == nil {
				continue
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Content {
					check(p+" body", mt.Schema, huma.ModeWriteToServer, 0)
				}
			}
			for code, r := range op.Responses {
				for _, mt := range r.Content {
					check(p+" "+code, mt.Schema, huma.ModeReadFromServer, 0)
				}
			}
		}
	}
	if examples < 3 {
		t.Errorf("only %d examples checked", examples)
	}
}
