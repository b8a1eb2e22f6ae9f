package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/pages"
)

// NewRequest shows the empty form (GET /requests/new), or with ?clone={id}
// the form prefilled from a request the user may see: never its password,
// and no token, so that a fresh one is generated.
func (h *Handlers) NewRequest(c echo.Context) error {
	ctx := c.Request().Context()
	cat := h.catalog(ctx)
	in := defaultInput(cat)
	var cloneOf int64
	if raw := c.QueryParam("clone"); raw != "" {
		id, err := parseID(raw)
		if err != nil {
			return err
		}
		r, err := h.visibleRequest(c, id)
		if err != nil {
			return err
		}
		in = r.Params.Input()
		in["Token"] = ""
		in[domain.TeamField] = r.Team
		in[domain.SecurityIpsField] = r.Change.SecurityIps
		cloneOf = r.ID
	}
	v, err := h.requestForm(c, in, nil, cat)
	if err != nil {
		return err
	}
	v.CloneOf = cloneOf
	return h.render(c, http.StatusOK, "new", pages.RequestForm(v))
}
