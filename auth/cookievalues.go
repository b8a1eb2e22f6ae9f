package auth

import (
	"encoding/binary"
	"errors"

	"github.com/gorilla/securecookie"
)

// cookieValues serializes the session cookie's values, before they are
// encrypted and signed, in a compact form of their own: the session keeps
// only strings, and gob, the cookie library's default, costs an encoder
// with its type descriptions for every cookie written and a decoder for
// every cookie read, on every request. The form is a zero byte, then each
// name and value as a length (uvarint) and its bytes. gob's output never
// starts with a zero byte (it starts with the length of a non-empty
// message), so a cookie written before, in gob, still reads.
type cookieValues struct{}

// compactValues is the first byte of the compact form.
const compactValues = 0

var errCookieValues = errors.New("session cookie: malformed values")

// Serialize implements securecookie.Serializer.
func (cookieValues) Serialize(src any) ([]byte, error) {
	m, ok := src.(map[any]any)
	if !ok {
		return securecookie.GobEncoder{}.Serialize(src)
	}
	size := 1
	for k, v := range m {
		ks, kok := k.(string)
		vs, vok := v.(string)
		if !kok || !vok {
			return securecookie.GobEncoder{}.Serialize(src)
		}
		size += 2*binary.MaxVarintLen64 + len(ks) + len(vs)
	}
	b := make([]byte, 1, size)
	b[0] = compactValues
	for k, v := range m {
		ks, vs := k.(string), v.(string)
		b = binary.AppendUvarint(b, uint64(len(ks)))
		b = append(b, ks...)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		b = append(b, vs...)
	}
	return b, nil
}

// Deserialize implements securecookie.Serializer.
func (cookieValues) Deserialize(src []byte, dst any) error {
	if len(src) == 0 || src[0] != compactValues {
		return securecookie.GobEncoder{}.Deserialize(src, dst)
	}
	m, ok := dst.(*map[any]any)
	if !ok {
		return errCookieValues
	}
	if *m == nil {
		*m = map[any]any{}
	}
	rest := src[1:]
	for len(rest) > 0 {
		var k, v string
		var err error
		if k, rest, err = cutString(rest); err != nil {
			return err
		}
		if v, rest, err = cutString(rest); err != nil {
			return err
		}
		(*m)[k] = v
	}
	return nil
}

// cutString reads a length and that many bytes from b.
func cutString(b []byte) (s string, rest []byte, err error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", nil, errCookieValues
	}
	b = b[w:]
	return string(b[:n]), b[n:], nil
}
