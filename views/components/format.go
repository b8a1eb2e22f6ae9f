// Package components holds the parts pages share: status badges, times,
// form fields with their help and errors, the error summary, pagination.
package components

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Ago says how long ago t was, from now, in words ("3 min ago").
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0 && d > -time.Minute:
		return "just now"
	case d < 0:
		return "in " + span(-d)
	case d < 45*time.Second:
		return "just now"
	}
	return span(d) + " ago"
}

// Since says how long has passed since t, without "ago" ("2 h 5 min").
func Since(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return "under a minute"
	}
	return span(d)
}

// Duration says a length of time in words ("30 min", "12 h").
func Duration(d time.Duration) string { return span(d) }

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 10 {
			return fmt.Sprintf("%d h %d min", h, m)
		}
		return fmt.Sprintf("%d h", h)
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return fmt.Sprintf("%d months", int(d.Hours()/24/30))
}

// Exact is t as shown on hover: UTC, to the second.
func Exact(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// machine is t as a datetime attribute.
func machine(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Capacity is a memory size in MB as people read it ("1 GB", "256 MB").
func Capacity(mb int64) string {
	switch {
	case mb <= 0:
		return ""
	case mb%1024 == 0:
		return fmt.Sprintf("%d GB", mb/1024)
	case mb > 1024:
		return fmt.Sprintf("%.1f GB", float64(mb)/1024)
	}
	return fmt.Sprintf("%d MB", mb)
}

// join joins the non-empty parts with sep.
func join(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// addressSize is the width of an address input, in characters: the address
// fits, within reason.
func addressSize(value string) string {
	return strconv.Itoa(min(max(len(value)+1, 12), 64))
}
