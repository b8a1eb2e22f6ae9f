package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Code classifies an Error; each maps to one HTTP status (Status).
type Code string

// The error codes.
const (
	EInvalid      Code = "invalid"      // 422: input that breaks a rule
	EBadRequest   Code = "bad_request"  // 400: a request no form sends
	EUnauthorized Code = "unauthorized" // 401: not signed in
	EForbidden    Code = "forbidden"    // 403: signed in, but not allowed
	ENotFound     Code = "not_found"    // 404: no such thing, or not yours to see
	EConflict     Code = "conflict"     // 409: the state changed under you
	ETooLarge     Code = "too_large"    // 413: a body too large
	ETooMany      Code = "too_many"     // 429: rate limited
	EInternal     Code = "internal"     // 500: our fault; details only in the log
)

// Error is the application's error: a code and a message safe to show to
// the user. Err, when set, is the cause, logged but never shown.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a formatted user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errNotFound is the answer for what does not exist or may not be seen:
// the two are not told apart.
var errNotFound = &Error{Code: ENotFound, Message: "There is nothing here, or you may not see it."}

var statusOf = map[Code]int{
	EInvalid: http.StatusUnprocessableEntity, EBadRequest: http.StatusBadRequest,
	EUnauthorized: http.StatusUnauthorized, EForbidden: http.StatusForbidden,
	ENotFound: http.StatusNotFound, EConflict: http.StatusConflict,
	ETooLarge: http.StatusRequestEntityTooLarge, ETooMany: http.StatusTooManyRequests,
	EInternal: http.StatusInternalServerError,
}

var titleOf = map[int]string{
	http.StatusBadRequest: "Bad request", http.StatusUnauthorized: "Sign in needed",
	http.StatusForbidden: "Not allowed", http.StatusNotFound: "Not found",
	http.StatusMethodNotAllowed: "Not allowed", http.StatusConflict: "Already changed",
	http.StatusRequestEntityTooLarge: "Too large", http.StatusUnprocessableEntity: "Check your input",
	http.StatusTooManyRequests: "Too many attempts", http.StatusInternalServerError: "Internal error",
}

// Describe maps any error to what the user is shown: the HTTP status, a
// title and a message. Only errors of this package and Echo's own HTTP
// errors show their message; everything else is an internal error.
func Describe(err error) (status int, title, message string) {
	var appErr *Error
	var httpErr *echo.HTTPError
	switch {
	case errors.As(err, &appErr):
		status = statusOf[appErr.Code]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		message = appErr.Message
	case errors.As(err, &httpErr) && httpErr.Code < 500:
		status = httpErr.Code
		switch status {
		case http.StatusNotFound:
			message = errNotFound.Message
		case http.StatusMethodNotAllowed:
			message = "This address does not accept that kind of request."
		case http.StatusRequestEntityTooLarge:
			message = "What you sent is too large."
		default:
			message = "The request could not be understood."
		}
	default:
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		message = "Internal error. Something went wrong on our side; nothing you did caused it. Quote the request id below if you report it."
	}
	title = titleOf[status]
	if title == "" {
		title = http.StatusText(status)
	}
	return status, title, message
}
