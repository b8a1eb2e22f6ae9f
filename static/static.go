// Package static holds the portal's stylesheet and its small script,
// embedded in the binary and served under /static/ (no CDN, no build step).
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed *.css *.js
var files embed.FS

// version is a hash of every file: it changes the URLs (Path) whenever a file
// changes, so the files can be cached for a long time.
var version = func() string {
	h := sha256.New()
	_ = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// Path is the URL of the static file name, with a version that changes with
// the content.
func Path(name string) string { return "/static/" + name + "?v=" + version }

// Handler serves the files under /static/, with cache headers: a year when
// the URL carries the current version, a short time otherwise.
func Handler() http.Handler {
	fileServer := http.StripPrefix("/static/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == version {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		fileServer.ServeHTTP(w, r)
	})
}
