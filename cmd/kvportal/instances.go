package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kvportal/kvportal/client"
	"github.com/kvportal/kvportal/domain"
)

// instance is what the commands show of an instance: the API's own keys.
type instance struct {
	InstanceID       string     `json:"InstanceId"`
	InstanceName     string     `json:"InstanceName"`
	RegionID         string     `json:"RegionId"`
	InstanceClass    string     `json:"InstanceClass"`
	ChargeType       string     `json:"ChargeType"`
	InstanceStatus   string     `json:"InstanceStatus"`
	ConnectionDomain string     `json:"ConnectionDomain"`
	Port             int        `json:"Port"`
	SecurityIps      string     `json:"SecurityIps"`
	Team             string     `json:"Team"`
	Owner            string     `json:"owner"`
	EndTime          *time.Time `json:"EndTime"`
	ReleaseAfter     *time.Time `json:"ReleaseAfter"`
	ScheduledClass   string     `json:"ScheduledClass"`
	ScheduledBy      *int64     `json:"scheduled_by"`
	Requests         []int64    `json:"requests"`
}

func (in instance) address() string {
	if in.ConnectionDomain == "" {
		return ""
	}
	return in.ConnectionDomain + ":" + strconv.Itoa(in.Port)
}

func cmdInstances(ctx context.Context, e env, action string, args []string) error {
	fs := flag.NewFlagSet("instances "+action, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c common
	switch action {
	case "list":
		team := fs.String("team", "", "admins: only this team's instances")
		region := fs.String("region", "", "admins: only this region's")
		status := fs.String("status", "", "admins: only instances in this status at the cloud")
		within := fs.Int("ends-within-days", 0, "admins: only instances whose lease or subscription ends within this many days")
		c.add(fs, false)
		if err := parse(fs, args, 0, &c); err != nil {
			return err
		}
		params := &client.ListInstancesParams{}
		for _, v := range []struct {
			dst **string
			s   string
		}{{&params.Team, *team}, {&params.Region, *region}, {&params.Status, *status}} {
			if v.s != "" {
				s := v.s
				*v.dst = &s
			}
		}
		if *within > 0 {
			n := int64(*within)
			params.EndsWithinDays = &n
		}
		return listInstances(ctx, e, c, params)
	case "get":
		c.add(fs, false)
		if err := parse(fs, args, 1, &c); err != nil {
			return err
		}
		return getInstance(ctx, e, c, fs.Arg(0))
	case "change":
		kind := fs.String("kind", "", "the kind of change: "+kindNames())
		fields := map[string]*string{}
		for _, k := range domain.Kinds {
			for _, f := range k.Fields {
				if f.Secret {
					continue // read from standard input, never from the command line
				}
				if _, seen := fields[f.Name]; !seen {
					fields[f.Name] = fs.String(f.Name, "", f.Label+" ("+string(k.Kind)+"): "+f.Help)
				}
			}
		}
		passwordStdin := fs.Bool("password-stdin", false, "reset_password: read the new password from standard input")
		c.add(fs, true)
		if err := parse(fs, args, 1, &c); err != nil {
			return err
		}
		body := map[string]string{"Kind": *kind}
		for name, v := range fields {
			if *v != "" {
				body[name] = *v
			}
		}
		if *passwordStdin {
			pw, err := io.ReadAll(io.LimitReader(e.stdin, 4096))
			if err != nil {
				return &exitError{exitUsage, "read the password: " + err.Error()}
			}
			body["Password"] = strings.TrimRight(string(pw), "\r\n")
		}
		if *kind == "" {
			return usage("change needs --kind (%s)", kindNames())
		}
		return change(ctx, e, c, fs.Arg(0), body)
	}
	return usage("unknown instances action %q", action)
}

// kindNames lists the kinds of change (every kind but create).
func kindNames() string { return strings.Join(domain.KindNames()[1:], ", ") }

func listInstances(ctx context.Context, e env, c common, params *client.ListInstancesParams) error {
	api, err := e.api()
	if err != nil {
		return err
	}
	raw, err := allPages("instances", func(cursor *string) (int, []byte, error) {
		params.Cursor = cursor
		res, err := api.ListInstancesWithResponse(ctx, params)
		if err != nil {
			return 0, nil, err
		}
		return res.StatusCode(), res.Body, nil
	})
	if err != nil || c.output == "json" {
		return printRaw(e, raw, err)
	}
	rows := make([]instance, len(raw))
	for i, item := range raw {
		_ = json.Unmarshal(item, &rows[i])
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "INSTANCE\tNAME\tSTATUS\tCLASS\tREGION\tTEAM\tOWNER\tCONNECT TO\tRELEASE AFTER")
	for _, in := range rows {
		lease := "-"
		if in.ReleaseAfter != nil {
			lease = in.ReleaseAfter.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.InstanceID, dash(in.InstanceName), dash(in.InstanceStatus),
			in.InstanceClass, in.RegionID, dash(in.Team), in.Owner, dash(in.address()), lease)
	}
	return w.Flush()
}

func getInstance(ctx context.Context, e env, c common, id string) error {
	api, err := e.api()
	if err != nil {
		return err
	}
	res, err := api.GetInstanceWithResponse(ctx, id)
	if err != nil {
		return unreachable(err)
	}
	if err := refused(res.StatusCode(), res.Body); err != nil {
		return err
	}
	if c.output == "json" {
		var pretty bytes.Buffer
		if json.Indent(&pretty, res.Body, "", "  ") != nil {
			pretty.Write(res.Body)
		}
		fmt.Fprintln(e.stdout, pretty.String())
		return nil
	}
	var in instance
	if err := json.Unmarshal(res.Body, &in); err != nil || in.InstanceID == "" {
		return &exitError{exitUnreachable, "the portal's answer is not an instance"}
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s\t%s\n", k, v)
		}
	}
	row("instance", in.InstanceID)
	row("name", in.InstanceName)
	row("status", in.InstanceStatus)
	row("class", in.InstanceClass)
	if in.ScheduledClass != "" {
		by := ""
		if in.ScheduledBy != nil {
			by = ", request " + strconv.FormatInt(*in.ScheduledBy, 10)
		}
		row("resize ordered", in.ScheduledClass+" in its maintenance window"+by)
	}
	row("region", in.RegionID)
	row("billing", in.ChargeType)
	row("team", in.Team)
	row("owner", in.Owner)
	row("connect to", in.address())
	row("whitelist", in.SecurityIps)
	if in.EndTime != nil {
		row("ends", in.EndTime.UTC().Format(time.RFC3339))
	}
	if in.ReleaseAfter != nil {
		row("released after", in.ReleaseAfter.UTC().Format(time.RFC3339))
	}
	reqs := make([]string, len(in.Requests))
	for i, id := range in.Requests {
		reqs[i] = strconv.FormatInt(id, 10)
	}
	row("requests", strings.Join(reqs, ", "))
	return w.Flush()
}

// change asks for a change of instance id (POST
// /api/v1/instances/{id}/requests), then shows the request, or follows it
// with --wait.
func change(ctx context.Context, e env, c common, id string, body map[string]string) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	api, err := e.api()
	if err != nil {
		return err
	}
	res, err := api.SubmitChangeWithBodyWithResponse(ctx, id, "application/json", bytes.NewReader(b))
	if err != nil {
		return unreachable(err)
	}
	r, err := answer(res.StatusCode(), res.Body)
	if err != nil {
		return err
	}
	if !c.wait {
		return show(e, c, res.Body, r)
	}
	return follow(ctx, e, c, api, r)
}
