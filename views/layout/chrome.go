// Package layout is the base page every screen of KVPortal shares: the top
// bar, the simulator banner, the flash message and the skip link.
package layout

import (
	"context"
	"strconv"

	"github.com/kvportal/kvportal/views/components"
)

// Chrome is what the base page shows around every screen: who is signed in,
// the CSRF token for the sign-out form, the flash message, the number of
// requests waiting for approval and whether the cloud is simulated. Handlers
// put it in the request context before rendering.
type Chrome struct {
	SignedIn   bool
	Username   string
	Role       string
	IsApprover bool
	IsAdmin    bool
	CSRF       string
	Flash      string
	FlashKind  components.FlashKind
	Pending    int
	// PendingMore says that at least Pending requests wait: counting stops
	// at a cap, as the count is on every page.
	PendingMore bool
	Simulated   bool
	// Section names the top-bar entry of the current page ("new",
	// "requests", "approvals"), marked aria-current.
	Section string
}

// PendingLabel is the pending count as the top bar shows it: "999+" when
// there are more.
func (c Chrome) PendingLabel() string {
	if c.PendingMore {
		return strconv.Itoa(c.Pending) + "+"
	}
	return strconv.Itoa(c.Pending)
}

type chromeKey struct{}

// WithChrome returns ctx carrying c.
func WithChrome(ctx context.Context, c Chrome) context.Context {
	return context.WithValue(ctx, chromeKey{}, c)
}

// ChromeFrom returns the Chrome in ctx (zero when none).
func ChromeFrom(ctx context.Context) Chrome {
	c, _ := ctx.Value(chromeKey{}).(Chrome)
	return c
}

func current(ctx context.Context, section string) bool {
	return ChromeFrom(ctx).Section == section
}

// adminSections are the sections of the pages in the top bar's Admin menu.
var adminSections = map[string]bool{"all-requests": true, "audit": true, "drift": true, "users": true, "teams": true, "policies": true}

// adminPage reports whether the page is one of the Admin menu's: its
// summary is then marked as the current place, the menu being closed.
func adminPage(ctx context.Context) bool { return adminSections[ChromeFrom(ctx).Section] }
