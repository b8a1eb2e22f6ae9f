package auth

import (
	"bytes"
	"maps"
	"testing"

	"github.com/gorilla/securecookie"
)

func TestCookieValuesRoundTrip(t *testing.T) {
	for _, values := range []map[any]any{
		{},
		{"csrf": "abc"},
		{"csrf": "t0ken", "sid": "s3ssion", "flash": "success\x1fRequest 12 submitted: <b>&é", "reveal_secret": ""},
	} {
		b, err := cookieValues{}.Serialize(values)
		if err != nil {
			t.Fatal(err)
		}
		got := map[any]any{}
		if err := (cookieValues{}).Deserialize(b, &got); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, values) {
			t.Errorf("read back %v, want %v", got, values)
		}
	}
}

// A cookie written before, with gob, reads as it did.
func TestCookieValuesReadsGobCookies(t *testing.T) {
	hash, block := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	values := map[any]any{"csrf": "t0ken", "sid": "s3ssion", "flash": "note"}
	old, err := securecookie.New(hash, block).Encode("kvportal_session", values)
	if err != nil {
		t.Fatal(err)
	}
	got := map[any]any{}
	if err := securecookie.New(hash, block).SetSerializer(cookieValues{}).Decode("kvportal_session", old, &got); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, values) {
		t.Errorf("read back %v, want %v", got, values)
	}
	// And a value that is not only strings is still written with gob.
	b, err := cookieValues{}.Serialize(map[any]any{"n": 1})
	if err != nil || len(b) == 0 || b[0] == compactValues {
		t.Errorf("a non-string value: %v, %x", err, b)
	}
}

func TestCookieValuesMalformed(t *testing.T) {
	for _, b := range [][]byte{
		{compactValues, 5, 'a'},
		{compactValues, 1, 'a'},
		{compactValues, 1, 'a', 9},
		{compactValues, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{compactValues, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'a'},
	} {
		got := map[any]any{}
		if err := (cookieValues{}).Deserialize(b, &got); err == nil {
			t.Errorf("%x read as %v", b, got)
		}
	}
}
