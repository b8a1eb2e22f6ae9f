package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/api"
)

// committedOpenAPI is the description the Go client is generated from.
const committedOpenAPI = "../client/openapi.json"

// The committed description is the one served, so that the generated client
// (cmd/kvportal's) speaks the API as it is. PORTAL_UPDATE_OPENAPI=1 (make
// openapi) writes it anew.
func TestCommittedOpenAPIIsServed(t *testing.T) {
	served, err := api.Register(echo.New(), api.Deps{}).OpenAPI().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, served, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	if os.Getenv("PORTAL_UPDATE_OPENAPI") == "1" {
		if err := os.WriteFile(committedOpenAPI, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, err := os.ReadFile(committedOpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, pretty.Bytes()) {
		t.Errorf("client/openapi.json is not the description the API serves: run 'make openapi' and commit the result")
	}
}
