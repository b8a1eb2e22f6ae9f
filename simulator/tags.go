package simulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The API's limits on tags.
const (
	maxTags        = 20
	maxTagKeyLen   = 128
	maxTagValueLen = 128
)

// tagsFromWire reads the repeated Tag.N.Key / Tag.N.Value parameters, N from
// 1 to 20, in the order of N; a missing value is an empty one. Tags are
// checked as the API does: a key is required, at most 128 characters, not
// starting with "aliyun" or "acs:" and without "http://" or "https://"; a
// value at most 128 characters; no key twice.
func tagsFromWire(params map[string]string) ([]Tag, *apiError) {
	byIndex := map[int]*Tag{}
	for name, value := range params {
		rest, ok := strings.CutPrefix(name, "Tag.")
		if !ok {
			continue
		}
		index, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(index)
		if !ok || err != nil || n < 1 || n > maxTags || (field != "Key" && field != "Value") {
			return nil, errInvalid(name, fmt.Sprintf("tags are Tag.N.Key and Tag.N.Value with N from 1 to %d", maxTags))
		}
		t := byIndex[n]
		if t == nil {
			t = &Tag{}
			byIndex[n] = t
		}
		if field == "Key" {
			t.Key = value
		} else {
			t.Value = value
		}
	}
	indexes := make([]int, 0, len(byIndex))
	for n := range byIndex {
		indexes = append(indexes, n)
	}
	slices.Sort(indexes)
	tags := make([]Tag, 0, len(indexes))
	for _, n := range indexes {
		t := *byIndex[n]
		keyParam := fmt.Sprintf("Tag.%d.Key", n)
		if t.Key == "" {
			return nil, errMissing(keyParam)
		}
		if problem := tagTextProblem(t.Key, maxTagKeyLen); problem != "" {
			return nil, errInvalid(keyParam, problem)
		}
		if problem := tagTextProblem(t.Value, maxTagValueLen); t.Value != "" && problem != "" {
			return nil, errInvalid(fmt.Sprintf("Tag.%d.Value", n), problem)
		}
		if slices.ContainsFunc(tags, func(o Tag) bool { return o.Key == t.Key }) {
			return nil, errInvalid(keyParam, "the key "+strconv.Quote(t.Key)+" is given twice")
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// tagTextProblem says what is wrong with a tag key or value.
func tagTextProblem(s string, maxLen int) string {
	lower := strings.ToLower(s)
	switch {
	case len([]rune(s)) > maxLen:
		return fmt.Sprintf("must be at most %d characters", maxLen)
	case strings.HasPrefix(lower, "aliyun"), strings.HasPrefix(lower, "acs:"):
		return `must not start with "aliyun" or "acs:"`
	case strings.Contains(lower, "http://"), strings.Contains(lower, "https://"):
		return `must not contain "http://" or "https://"`
	}
	return ""
}

// hasTags reports whether the instance carries every tag of want: the same
// key, and the same value unless want's value is empty.
func (in Instance) hasTags(want []Tag) bool {
	for _, w := range want {
		if !slices.ContainsFunc(in.Tags, func(t Tag) bool {
			return t.Key == w.Key && (w.Value == "" || t.Value == w.Value)
		}) {
			return false
		}
	}
	return true
}

// wireTags is the API's shape of a list of tags: {"Tag": [{"Key", "Value"}]}.
type wireTags struct {
	Tag []Tag
}

// tagsOnWire returns the instance's tags in the API's shape (an empty list,
// never null).
func tagsOnWire(tags []Tag) wireTags {
	return wireTags{Tag: append([]Tag{}, tags...)}
}
