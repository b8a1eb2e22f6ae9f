package workflow

import (
	"strconv"
	"unicode/utf8"

	"github.com/kvportal/kvportal/domain"
)

// ReasonProblem says what is wrong with a rejection reason (already
// trimmed), "" if nothing. The message completes a sentence that starts
// with the field's name, like the parameters' rules.
func ReasonProblem(reason string) string {
	if reason == "" {
		return "is required: tell the requester why"
	}
	if problem := domain.MultilineTextProblem(reason); problem != "" {
		return problem
	}
	if utf8.RuneCountInString(reason) > ReasonMaxLen {
		return "must be at most " + strconv.Itoa(ReasonMaxLen) + " characters long"
	}
	return ""
}
