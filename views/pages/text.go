package pages

import (
	"context"
	"html"
	"io"
)

// text writes a string as a templ expression { s } does, escaped the same
// way: @text(s) in a template gives the same HTML. An expression costs
// templ a fmt.Sprint of the value through an interface and a copy of it;
// the approvals queue writes some thirty values a row, fifty rows a page.
type text string

// Render implements templ.Component.
func (t text) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, html.EscapeString(string(t)))
	return err
}

// fact writes one parameter of a list of facts:
//
//	<div data-param="NAME"><dt>LABEL</dt><dd class="mono id">VALUE</dd></div>
//
// (the class only for a Mono value), escaped as templ escapes attributes
// and text. The approvals queue has ten of these a row: written in Go, each
// costs no more than its escaping.
type fact Param

// Render implements templ.Component.
func (f fact) Render(_ context.Context, w io.Writer) error {
	dd := "</dt><dd>"
	switch {
	case f.Warn:
		dd = `</dt><dd class="mono id warn" data-warn="true">`
	case f.Mono:
		dd = `</dt><dd class="mono id">`
	}
	for _, s := range [...]string{`<div data-param="`, html.EscapeString(f.Name), `"><dt>`, html.EscapeString(f.Label), dd, html.EscapeString(f.Value), "</dd></div>"} {
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}
