package workflow

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ReasonProblem says what is wrong with a rejection reason (already
// trimmed), "" if nothing. The message completes a sentence that starts
// with the field's name, like the parameters' rules.
func ReasonProblem(reason string) string {
	switch {
	case reason == "":
		return "is required: tell the requester why"
	case !utf8.ValidString(reason):
		return "must be valid UTF-8 text"
	case utf8.RuneCountInString(reason) > ReasonMaxLen:
		return "must be at most " + strconv.Itoa(ReasonMaxLen) + " characters long"
	case strings.IndexFunc(reason, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') || unicode.Is(unicode.Cf, r)
	}) >= 0:
		return "must not contain control characters"
	}
	return ""
}
