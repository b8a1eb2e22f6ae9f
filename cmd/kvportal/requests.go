package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kvportal/kvportal/client"
	"github.com/kvportal/kvportal/internal/wait"
)

// request is what the commands show of a request: the API's own keys.
type request struct {
	ID               int64     `json:"id"`
	Kind             string    `json:"Kind"`
	Status           string    `json:"status"`
	InstanceName     string    `json:"InstanceName"`
	InstanceClass    string    `json:"InstanceClass"`
	RegionID         string    `json:"RegionId"`
	InstanceID       string    `json:"InstanceId"`
	InstanceStatus   string    `json:"instance_status"`
	ConnectionDomain string    `json:"ConnectionDomain"`
	Port             int       `json:"Port"`
	Requester        string    `json:"requester"`
	Team             string    `json:"Team"`
	ErrorCode        string    `json:"error_code"`
	ErrorMessage     string    `json:"error_message"`
	Reason           string    `json:"reason"`
	CreatedAt        time.Time `json:"created_at"`
}

// ended: nothing more happens to the request by itself.
func (r request) ended() bool {
	switch r.Status {
	case "succeeded", "failed", "rejected", "cancelled":
		return true
	}
	return false
}

// address is where to connect, "" until the cloud says.
func (r request) address() string {
	if r.ConnectionDomain == "" {
		return ""
	}
	return r.ConnectionDomain + ":" + strconv.Itoa(r.Port)
}

// common are the flags every requests command takes.
type common struct {
	output   string
	wait     bool
	interval time.Duration
}

func (c *common) add(fs *flag.FlagSet, wait bool) {
	fs.StringVar(&c.output, "output", "table", "table or json")
	if wait {
		fs.BoolVar(&c.wait, "wait", false, "follow the request until it ends, then print where to connect")
		fs.DurationVar(&c.interval, "interval", 2*time.Second, "how often --wait asks")
	}
}

func (c common) check() error {
	if c.output != "table" && c.output != "json" {
		return usage("--output is table or json, not %q", c.output)
	}
	return nil
}

func cmdRequests(ctx context.Context, e env, action string, args []string) error {
	fs := flag.NewFlagSet("requests "+action, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c common
	switch action {
	case "create":
		file := fs.String("f", "", "the request as JSON (the form's field names); - reads standard input")
		key := fs.String("idempotency-key", "", "the same key again returns the first request instead of a second one")
		c.add(fs, true)
		if err := parse(fs, args, 0, &c); err != nil {
			return err
		}
		return create(ctx, e, c, *file, *key)
	case "get":
		c.add(fs, true)
		if err := parse(fs, args, 1, &c); err != nil {
			return err
		}
		return get(ctx, e, c, fs.Arg(0))
	case "list":
		status := fs.String("status", "", "only requests in this state (pending_approval, approved, …)")
		all := fs.Bool("all", false, "admins: everyone's requests")
		c.add(fs, false)
		if err := parse(fs, args, 0, &c); err != nil {
			return err
		}
		return list(ctx, e, c, *status, *all)
	case "approve", "cancel":
		c.add(fs, false)
		if err := parse(fs, args, 1, &c); err != nil {
			return err
		}
		return decide(ctx, e, c, action, fs.Arg(0), "")
	case "reject":
		reason := fs.String("reason", "", "why, for the requester (required)")
		c.add(fs, false)
		if err := parse(fs, args, 1, &c); err != nil {
			return err
		}
		if strings.TrimSpace(*reason) == "" {
			return usage("reject needs --reason")
		}
		return decide(ctx, e, c, action, fs.Arg(0), *reason)
	}
	return usage("unknown requests action %q", action)
}

// parse reads the flags (before and after the arguments) and wants
// exactly n arguments.
func parse(fs *flag.FlagSet, args []string, n int, c *common) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return usage("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != n {
		return usage("%s takes %d argument(s), got %d", fs.Name(), n, len(pos))
	}
	if err := fs.Parse(pos); err != nil {
		return usage("%s: %v", fs.Name(), err)
	}
	return c.check()
}

func requestID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usage("%q is not a request's number", s)
	}
	return id, nil
}

func create(ctx context.Context, e env, c common, file, key string) error {
	var body []byte
	var err error
	switch file {
	case "":
		return usage("create needs -f request.json (or -f - for standard input)")
	case "-":
		body, err = io.ReadAll(io.LimitReader(e.stdin, 1<<20))
	default:
		body, err = os.ReadFile(file)
	}
	if err != nil {
		return &exitError{exitUsage, "read the request: " + err.Error()}
	}
	api, err := e.api()
	if err != nil {
		return err
	}
	params := &client.SubmitRequestParams{}
	if key != "" {
		params.IdempotencyKey = &key
	}
	res, err := api.SubmitRequestWithBodyWithResponse(ctx, params, "application/json", bytes.NewReader(body))
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

func get(ctx context.Context, e env, c common, arg string) error {
	id, err := requestID(arg)
	if err != nil {
		return err
	}
	api, err := e.api()
	if err != nil {
		return err
	}
	res, err := api.GetRequestWithResponse(ctx, id)
	if err != nil {
		return unreachable(err)
	}
	r, err := answer(res.StatusCode(), res.Body)
	if err != nil {
		return err
	}
	if c.wait {
		return follow(ctx, e, c, api, r)
	}
	return show(e, c, res.Body, r)
}

func list(ctx context.Context, e env, c common, status string, all bool) error {
	api, err := e.api()
	if err != nil {
		return err
	}
	params := &client.ListRequestsParams{}
	if status != "" {
		s := client.ListRequestsParamsStatus(status)
		params.Status = &s
	}
	if all {
		params.All = &all
	}
	raw, err := allPages("requests", func(cursor *string) (int, []byte, error) {
		params.Cursor = cursor
		res, err := api.ListRequestsWithResponse(ctx, params)
		if err != nil {
			return 0, nil, err
		}
		return res.StatusCode(), res.Body, nil
	})
	if err != nil || c.output == "json" {
		return printRaw(e, raw, err)
	}
	rows := make([]request, len(raw))
	for i, item := range raw {
		_ = json.Unmarshal(item, &rows[i])
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATUS\tNAME\tCLASS\tREGION\tINSTANCE\tREQUESTER\tSUBMITTED")
	for _, r := range rows {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, dash(r.InstanceName), r.InstanceClass, r.RegionID,
			dash(r.InstanceID), r.Requester, r.CreatedAt.UTC().Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func decide(ctx context.Context, e env, c common, action, arg, reason string) error {
	id, err := requestID(arg)
	if err != nil {
		return err
	}
	api, err := e.api()
	if err != nil {
		return err
	}
	var status int
	var body []byte
	switch action {
	case "approve":
		res, err := api.ApproveRequestWithResponse(ctx, id)
		if err != nil {
			return unreachable(err)
		}
		status, body = res.StatusCode(), res.Body
	case "cancel":
		res, err := api.CancelRequestWithResponse(ctx, id)
		if err != nil {
			return unreachable(err)
		}
		status, body = res.StatusCode(), res.Body
	case "reject":
		res, err := api.RejectRequestWithResponse(ctx, id, client.RejectRequestJSONRequestBody{Reason: reason})
		if err != nil {
			return unreachable(err)
		}
		status, body = res.StatusCode(), res.Body
	}
	r, err := answer(status, body)
	if err != nil {
		return err
	}
	return show(e, c, body, r)
}

// follow asks for the request until it ends, saying each change (on a
// terminal, one line rewritten in place), then prints where to connect;
// a request that ended other than succeeded is exit code 1.
func follow(ctx context.Context, e env, c common, api *client.ClientWithResponses, r request) error {
	last := ""
	say := func(r request) {
		line := fmt.Sprintf("request %d: %s", r.ID, r.Status)
		if r.InstanceStatus != "" {
			line += ", instance " + r.InstanceStatus
		}
		if line == last {
			return
		}
		last = line
		if e.terminal {
			fmt.Fprintf(e.stderr, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(e.stderr, line)
		}
	}
	var body []byte
	for {
		say(r)
		// A created instance is followed until the cloud says where to
		// connect (or its status says it never will).
		if r.ended() && (r.Status != "succeeded" || r.address() != "" || (r.InstanceStatus != "" && r.InstanceStatus != "Creating")) {
			break
		}
		if wait.Sleep(ctx, c.interval) != nil {
			return &exitError{exitUnreachable, "stopped waiting"}
		}
		res, err := api.GetRequestWithResponse(ctx, r.ID)
		if err != nil {
			return unreachable(err)
		}
		if r, err = answer(res.StatusCode(), res.Body); err != nil {
			return err
		}
		body = res.Body
	}
	if e.terminal {
		fmt.Fprintln(e.stderr)
	}
	if body != nil {
		if err := show(e, c, body, r); err != nil {
			return err
		}
	} else if err := show(e, c, nil, r); err != nil {
		return err
	}
	if r.Status != "succeeded" {
		why := r.Status
		switch {
		case r.ErrorCode != "":
			why += ": " + r.ErrorCode + ": " + r.ErrorMessage
		case r.Reason != "":
			why += ": " + r.Reason
		}
		return &exitError{exitEndedBadly, fmt.Sprintf("request %d %s", r.ID, why)}
	}
	return nil
}

// show prints a request: the API's JSON as it came, or its facts.
func show(e env, c common, body []byte, r request) error {
	if c.output == "json" {
		if body == nil {
			body, _ = json.Marshal(r)
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, body, "", "  ") != nil {
			pretty.Write(body)
		}
		fmt.Fprintln(e.stdout, pretty.String())
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s\t%s\n", k, v)
		}
	}
	row("request", strconv.FormatInt(r.ID, 10))
	if r.Kind != "" && r.Kind != "create" {
		row("kind", r.Kind)
	}
	row("status", r.Status)
	row("name", r.InstanceName)
	row("class", r.InstanceClass)
	row("region", r.RegionID)
	row("team", r.Team)
	row("requester", r.Requester)
	row("instance", r.InstanceID)
	row("instance status", r.InstanceStatus)
	row("connect to", r.address())
	if r.ErrorCode != "" {
		row("error", r.ErrorCode+": "+r.ErrorMessage)
	}
	row("reason", r.Reason)
	return w.Flush()
}

// answer is a request from a success, or the API's refusal in its words.
func answer(status int, body []byte) (request, error) {
	if err := refused(status, body); err != nil {
		return request{}, err
	}
	var r request
	if err := json.Unmarshal(body, &r); err != nil || r.ID == 0 {
		return r, &exitError{exitUnreachable, fmt.Sprintf("the portal answered %d with something that is not a request", status)}
	}
	return r, nil
}

// refused is the API's problem (RFC 9457) for a status that is not a
// success: its detail, then each field error on a line of its own.
func refused(status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	var p client.Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Status == 0 {
		return &exitError{exitUnreachable, fmt.Sprintf("the portal answered %d, not in the API's words", status)}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", p.Status, p.Title)
	if p.Detail != nil && *p.Detail != "" {
		b.WriteString(": " + *p.Detail)
	}
	if p.Errors != nil {
		for _, fe := range *p.Errors {
			fmt.Fprintf(&b, "\n  %s: %s", fe.Field, fe.Message)
		}
	}
	return &exitError{exitRefused, b.String()}
}

func unreachable(err error) error {
	return &exitError{exitUnreachable, "the portal could not be reached: " + err.Error()}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// allPages reads every page of a list (what a list endpoint answers:
// items and next_cursor), fetch asking for the page after cursor (nil: the
// first). what names the list's items in an error.
func allPages(what string, fetch func(cursor *string) (int, []byte, error)) ([]json.RawMessage, error) {
	var out []json.RawMessage
	var cursor *string
	for {
		status, body, err := fetch(cursor)
		if err != nil {
			return nil, unreachable(err)
		}
		if err := refused(status, body); err != nil {
			return nil, err
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, &exitError{exitUnreachable, "the portal's answer is not a list of " + what}
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		next := page.NextCursor
		cursor = &next
	}
}

// printRaw prints a list's items as the API gave them (--output json), or
// passes err on.
func printRaw(e env, raw []json.RawMessage, err error) error {
	if err != nil {
		return err
	}
	if raw == nil {
		raw = []json.RawMessage{}
	}
	b, _ := json.MarshalIndent(raw, "", "  ")
	fmt.Fprintln(e.stdout, string(b))
	return nil
}
