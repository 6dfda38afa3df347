package cli

import (
	"fmt"

	"github.com/tok-cli/tok/internal/flow"
)

// showAuthURL shows the browser flow's URL (flow.Request.ShowURL): always
// printed, so a person can open it when no browser opens (README "login").
func (a *App) showAuthURL(u flow.AuthURL) {
	if !u.Opening {
		fmt.Fprintf(a.Stderr, "%s\n", u.URL)
		if u.Pasteable {
			fmt.Fprintln(a.Stderr, "If your browser cannot reach this machine, paste the address it ends on here.")
		}
		return
	}
	fmt.Fprintf(a.Stderr, "Opening your browser to log in. If it does not open, visit:\n  %s\n", u.URL)
}
