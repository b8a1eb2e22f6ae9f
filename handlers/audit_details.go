package handlers

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kvportal/kvportal/domain"
)

// secretWords mark a detail that must never be shown or exported, whatever
// wrote it: the store never records one, and this makes sure no page or
// export could show one if a writer ever did.
var secretWords = []string{"password", "passwd", "secret", "credential", "accesskey", "access_key", "privatekey", "private_key"}

const redacted = "[redacted]"

// safeDetails is the details of an event as they may be shown: any key
// that names a secret has its value replaced by "[redacted]".
func safeDetails(d domain.Details) domain.Details {
	if len(d) == 0 {
		return domain.Details{}
	}
	out := make(domain.Details, len(d))
	for k, v := range d {
		if secretKey(string(k)) {
			v = redacted
		}
		out[k] = v
	}
	return out
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// mentionsSecret reports whether JSON text holds a secret word anywhere (a
// key or a value): only then must it be decoded to redact it.
//
// The export asks for every event of the trail, so ASCII text
// (all of it, in practice) is scanned once, in place; other text is
// lowered first, as Unicode case folding can change its length.
func mentionsSecret(raw []byte) bool {
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			lower := bytes.ToLower(raw)
			return slices.ContainsFunc(secretWords, func(w string) bool { return bytes.Contains(lower, []byte(w)) })
		}
	}
	for i, c := range raw {
		c |= 0x20 // ASCII letters to lower case; a word's first letter is one
		for _, w := range secretWords {
			if w[0] == c && len(raw)-i >= len(w) && asciiEqualFold(raw[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// asciiEqualFold reports whether ASCII b equals the lower-case word w,
// ignoring case.
func asciiEqualFold(b []byte, w string) bool {
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// detailKeys are the keys of d worth showing (those not in shown): the
// request's parameters first, in the order of the form (domain.Table), then
// the others by name.
func detailKeys(d domain.Details, shown map[domain.DetailKey]bool) []domain.DetailKey {
	keys := make([]domain.DetailKey, 0, len(d))
	for _, m := range domain.Table {
		k := domain.DetailKey(m.Name)
		if _, ok := d[k]; ok && !shown[k] {
			keys = append(keys, k)
		}
	}
	params := len(keys)
	for k := range d {
		if _, isParam := domain.ParamByName(string(k)); !isParam && !shown[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys[params:])
	return keys
}
