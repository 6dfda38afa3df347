package cli

import (
	"golang.org/x/term"
)

// fder is an *os.File, or anything else with a descriptor.
type fder interface{ Fd() uintptr }

// isTerminal reports whether v is a file open on a terminal.
func isTerminal(v any) bool {
	f, ok := v.(fder)
	return ok && term.IsTerminal(int(f.Fd()))
}

// interactive reports whether a person sits at tok's terminal: stdin and
// stderr are both terminals. In CI the commands that hand out tokens never
// wait for a person (README "Headless machines, SSH, WSL and CI"), not
// even at a terminal: they ask nothing.
func (a *App) interactive() bool {
	if a.getenv("CI") != "" && neverWaits[a.verb] {
		return false
	}
	return isTerminal(a.Stdin) && isTerminal(a.Stderr)
}

// neverWaits holds the commands that, in CI, never wait for a person:
// print, exec and refresh, and the credential helpers that are print for
// git and kubectl.
var neverWaits = map[string]bool{"print": true, "exec": true, "refresh": true, "git-credential": true, "kube-credential": true}

// stderrTerminal describes stderr for the device flow's display: a
// terminal that understands cursor control (TERM is not dumb), with colour
// unless NO_COLOR is set (https://no-color.org).
func (a *App) stderrTerminal() terminal {
	if !isTerminal(a.Stderr) || a.getenv("TERM") == "dumb" {
		return terminal{}
	}
	t := terminal{On: true, Color: a.getenv("NO_COLOR") == ""}
	if f, ok := a.Stderr.(fder); ok {
		t.Width, t.Height, _ = term.GetSize(int(f.Fd()))
	}
	return t
}
