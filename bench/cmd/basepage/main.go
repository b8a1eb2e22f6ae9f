// Command basepage is the baseline of workload 2 of `make bench`: the least
// a server-rendered page of requests can do with the portal's libraries.
// Echo and pgx, one indexed query for one user's newest rows, html/template,
// no session, no layout. bench/cmd/benchrun starts it and loads it with wrk
// in the same run as the portal's pages.
package main

import (
	"context"
	"flag"
	"html/template"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Requests</title></head>
<body><h1>Requests</h1>
<table>
<thead><tr><th>#</th><th>Name</th><th>Type</th><th>Class</th><th>Region</th><th>Status</th><th>InstanceId</th><th>Submitted</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.Class}}</td><td>{{.Region}}</td><td data-status="{{.Status}}">{{.Status}}</td><td>{{.InstanceID}}</td><td>{{.Created.Format "2006-01-02 15:04"}}</td></tr>
{{end}}</tbody></table></body></html>
`))

type row struct {
	ID                                            int64
	Name, Type, Class, Region, Status, InstanceID string
	Created                                       time.Time
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	uid := flag.Int64("user", 0, "requester_id whose rows are shown")
	rows := flag.Int("rows", 50, "rows per page")
	flag.Parse()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	cfg.MaxConns = 20 // as the portal's pool
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/page", func(c echo.Context) error {
		rs, err := pool.Query(c.Request().Context(), `SELECT id, instance_name, instance_type, instance_class,
			region_id, status, instance_id, created_at FROM requests WHERE requester_id = $1 ORDER BY id DESC LIMIT $2`, *uid, *rows)
		if err != nil {
			return err
		}
		var out []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.ID, &r.Name, &r.Type, &r.Class, &r.Region, &r.Status, &r.InstanceID, &r.Created); err != nil {
				rs.Close()
				return err
			}
			out = append(out, r)
		}
		if err := rs.Err(); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(http.StatusOK)
		return page.Execute(c.Response(), out)
	})
	if err := e.Start(*addr); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
