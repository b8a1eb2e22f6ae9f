package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

// demoUser is a demo user created by this start, with its password.
type demoUser struct {
	name, role, password string
}

// readyBanner is the block printed once the portal serves: where to go, and
// how to sign in. The demo passwords are in it only on the start that made
// them; later starts say how to get a new one.
type readyBanner struct {
	url       string
	simulated bool
	demo      bool       // --demo-users
	created   []demoUser // demo users made by this start
	demoNames []string   // every demo user, made now or before
	prog      string     // how the portal was invoked, for the reset command
}

func (b readyBanner) write(w io.Writer) {
	rule := strings.Repeat("=", 72)
	var s strings.Builder
	fmt.Fprintf(&s, "\n%s\n  KVPortal is ready: %s\n", rule, b.url)
	if b.simulated {
		s.WriteString("  The cloud is the built-in simulator: no real instance is ever created.\n")
	}
	if len(b.created) > 0 {
		s.WriteString("\n  Sign in as one of these demo users (the passwords are shown only now):\n")
		writeDemoUsers(&s, b.created)
	}
	reset := b.prog + " users reset-password --username "
	switch {
	case b.demo && len(b.created) < len(b.demoNames):
		var before []string
		for _, n := range b.demoNames {
			if !wasCreated(b.created, n) {
				before = append(before, n)
			}
		}
		fmt.Fprintf(&s, "\n  Demo users from an earlier start: %s (their passwords were shown then).\n", strings.Join(before, ", "))
		fmt.Fprintf(&s, "  Lost one? A new password, shown once:  %s%s\n", reset, before[0])
	case !b.demo:
		fmt.Fprintf(&s, "\n  Lost a password? A new one, shown once:  %sUSERNAME\n", reset)
	}
	fmt.Fprintf(&s, "\n  Stop with Ctrl-C.\n%s\n\n", rule)
	_, _ = io.WriteString(w, s.String())
}

func writeDemoUsers(w io.Writer, users []demoUser) {
	for _, u := range users {
		fmt.Fprintf(w, "    %-9s %-10s password: %s\n", u.name, u.role, u.password)
	}
}

// printDemoPasswords is for a start that fails after making the demo users.
func printDemoPasswords(w io.Writer, users []demoUser) {
	var s strings.Builder
	s.WriteString("The demo users were created; their passwords, shown only now:\n")
	writeDemoUsers(&s, users)
	_, _ = io.WriteString(w, s.String())
}

func wasCreated(created []demoUser, name string) bool {
	for _, u := range created {
		if u.name == name {
			return true
		}
	}
	return false
}

// browserURL is the address to open for a listener: a wildcard address
// becomes localhost.
func browserURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// progName is how the portal was started (bin/portal under make run), so the
// commands the banner suggests can be pasted as they are.
func progName() string {
	if len(os.Args) > 0 && os.Args[0] != "" {
		return os.Args[0]
	}
	return "portal"
}
