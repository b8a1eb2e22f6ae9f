package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/policy"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
)

// Policies shows the policies editor (GET /admin/policies): the version in
// force, or ?version=N, in the editor; the example when none was saved.
func (h *Handlers) Policies(c echo.Context) error {
	ctx := c.Request().Context()
	v := pages.PoliciesView{Sample: policy.SampleExample}
	var shown store.PolicyVersion
	var err error
	if raw := c.QueryParam("version"); raw != "" {
		id, perr := parseID(raw)
		if perr != nil {
			return perr
		}
		shown, err = h.Store.PolicyVersionByID(ctx, id)
	} else {
		shown, err = h.Store.CurrentPolicies(ctx)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) && c.QueryParam("version") != "":
		return errNotFound
	case errors.Is(err, store.ErrNotFound):
		v.Document = policy.Example
	case err != nil:
		return err
	default:
		v.Document, v.Version = shown.Document, shown.ID
	}
	return h.renderPolicies(c, http.StatusOK, v)
}

// renderPolicies fills in the versions and the keys and shows the editor.
func (h *Handlers) renderPolicies(c echo.Context, status int, v pages.PoliciesView) error {
	versions, err := h.Store.PolicyVersions(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	for _, pv := range versions {
		v.Versions = append(v.Versions, pages.PolicyVersionRow{ID: pv.ID, Author: pv.Author, At: pv.CreatedAt})
	}
	if len(versions) > 0 {
		v.Current = versions[0].ID
	}
	v.Keys, v.Now = policy.Keys(), h.now()
	return h.render(c, status, "policies", pages.Policies(v))
}

// SavePolicies saves the editor's document as a new version, or tries the
// sample request against it (POST /admin/policies: document, sample,
// action save or try). A document with a mistake is not saved: 422, the
// editor again with the line, the rule and the problem.
func (h *Handlers) SavePolicies(c echo.Context) error {
	doc := c.FormValue("document")
	v := pages.PoliciesView{Document: doc, Sample: c.FormValue("sample")}
	if id, err := strconv.ParseInt(c.FormValue("version"), 10, 64); err == nil {
		v.Version = id
	}
	ps, err := policy.Parse([]byte(doc))
	if err != nil {
		v.Error = err.Error()
		return h.renderPolicies(c, http.StatusUnprocessableEntity, v)
	}
	if c.FormValue("action") == "try" {
		sample, err := policy.ParseSample([]byte(v.Sample))
		if err != nil {
			v.SampleError = err.Error()
			return h.renderPolicies(c, http.StatusUnprocessableEntity, v)
		}
		v.Result = ps.Explain(sample)
		return h.renderPolicies(c, http.StatusOK, v)
	}
	me := user(c)
	saved, ps, err := h.Admin.SavePolicies(c.Request().Context(), &me.ID, []byte(doc))
	if err != nil {
		return err
	}
	return h.redirect(c, "/admin/policies", "Policies version "+itoa(saved.ID)+" saved ("+strconv.Itoa(len(ps.Rules))+" rules)")
}
