package api_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A body whose Content-Length is over the limit is refused from its header:
// the 413 is the first answer, with no "100 Continue" asking for the body,
// and it comes before the token is checked.
func TestBodyOverTheLimitRefusedFromItsHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, token := range []string{e.tokens["rita"], "", "kvp_not-a-token"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		head := "POST /api/v1/requests HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\n" +
			"Content-Length: 10485760\r\nExpect: 100-continue\r\n"
		if token != "" {
			head += "Authorization: Bearer " + token + "\r\n"
		}
		if _, err := conn.Write([]byte(head + "\r\n")); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("token %q: %v", token, err)
		}
		res.Body.Close()
		conn.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("token %q: first answer %s, want 413 before the body is sent", token, res.Status)
		}
	}
}
