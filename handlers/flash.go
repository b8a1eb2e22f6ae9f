package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/views/components"
)

// A flash message's kind travels in the session in front of its text,
// after flashSep (which no one-line message holds); a message set without
// one (the session middleware's "signed out") is a plain note.
const flashSep = "\x1f"

// redirect answers 303 See Other to path, with a flash message saying that
// the action was done (green); the message says what happens next.
func (h *Handlers) redirect(c echo.Context, path, msg string) error {
	return h.redirectFlash(c, path, components.FlashSuccess, msg)
}

// redirectProblem answers 303 See Other to path, with a flash message
// saying that the action was not done, and why (red).
func (h *Handlers) redirectProblem(c echo.Context, path, msg string) error {
	return h.redirectFlash(c, path, components.FlashError, msg)
}

// redirectNote answers 303 See Other to path, with a plain flash message:
// nothing needed doing.
func (h *Handlers) redirectNote(c echo.Context, path, msg string) error {
	return h.redirectFlash(c, path, components.FlashNote, msg)
}

func (h *Handlers) redirectFlash(c echo.Context, path string, kind components.FlashKind, msg string) error {
	if msg != "" {
		auth.SessionFrom(c.Request().Context()).SetFlash(string(kind) + flashSep + msg)
	}
	return c.Redirect(http.StatusSeeOther, path)
}

// readFlash splits a stored flash message into its kind and text.
func readFlash(stored string) (components.FlashKind, string) {
	kind, msg, ok := strings.Cut(stored, flashSep)
	if !ok {
		return components.FlashNote, stored
	}
	switch k := components.FlashKind(kind); k {
	case components.FlashSuccess, components.FlashError:
		return k, msg
	}
	return components.FlashNote, msg
}
