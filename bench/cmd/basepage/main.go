// Command basepage is the baseline of workloads 2 and 9 of `make bench`:
// the least a server-rendered page of requests, or one request as JSON, can
// do with the portal's libraries. Echo and pgx, one indexed query,
// html/template or encoding/json, no session, no token, no layout.
// bench/cmd/benchrun starts it and loads it with wrk in the same run as the
// portal's pages and API.
package main

import (
	"context"
	"errors"
	"flag"
	"html/template"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
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

// request is one request as JSON, with the API's keys.
type request struct {
	ID              int64     `json:"id"`
	Status          string    `json:"status"`
	Token           string    `json:"Token"`
	InstanceName    string    `json:"InstanceName"`
	InstanceClass   string    `json:"InstanceClass"`
	RegionID        string    `json:"RegionId"`
	ZoneID          string    `json:"ZoneId"`
	ChargeType      string    `json:"ChargeType"`
	Period          int       `json:"Period"`
	NetworkType     string    `json:"NetworkType"`
	VpcID           string    `json:"VpcId"`
	VSwitchID       string    `json:"VSwitchId"`
	PrivateIP       string    `json:"PrivateIpAddress"`
	SrcDBInstanceID string    `json:"SrcDBInstanceId"`
	BackupID        string    `json:"BackupId"`
	InstanceType    string    `json:"InstanceType"`
	EngineVersion   string    `json:"EngineVersion"`
	PasswordSet     bool      `json:"password_set"`
	InstanceID      string    `json:"InstanceId"`
	ErrorCode       string    `json:"error_code"`
	ErrorMessage    string    `json:"error_message"`
	Requester       string    `json:"requester"`
	CreatedAt       time.Time `json:"created_at"`
	DecidedBy       string    `json:"decided_by"`
	Reason          string    `json:"reason"`
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
	// One request as JSON, as GET /api/v1/requests/{id} answers it: its
	// parameters under their API names, its state, its requester and
	// decider.
	e.GET("/request/:id", func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			return echo.ErrNotFound
		}
		var r request
		err = pool.QueryRow(c.Request().Context(), `SELECT r.id, r.status, r.token, r.instance_name, r.instance_class,
			r.region_id, r.zone_id, r.charge_type, r.period, r.network_type, r.vpc_id, r.vswitch_id, r.private_ip,
			r.src_db_instance_id, r.backup_id, r.instance_type, r.engine_version, r.password_set, r.instance_id,
			r.error_code, r.error_message, ru.username, r.created_at, COALESCE(du.username, ''), r.decision_reason
			FROM requests r JOIN users ru ON ru.id = r.requester_id LEFT JOIN users du ON du.id = r.decided_by
			WHERE r.id = $1`, id).Scan(&r.ID, &r.Status, &r.Token, &r.InstanceName, &r.InstanceClass,
			&r.RegionID, &r.ZoneID, &r.ChargeType, &r.Period, &r.NetworkType, &r.VpcID, &r.VSwitchID, &r.PrivateIP,
			&r.SrcDBInstanceID, &r.BackupID, &r.InstanceType, &r.EngineVersion, &r.PasswordSet, &r.InstanceID,
			&r.ErrorCode, &r.ErrorMessage, &r.Requester, &r.CreatedAt, &r.DecidedBy, &r.Reason)
		if errors.Is(err, pgx.ErrNoRows) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r)
	})
	if err := e.Start(*addr); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
