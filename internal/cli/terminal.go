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

// terminalWidth is the width of the terminal behind v, 0 when unknown.
func terminalWidth(v any) int {
	f, ok := v.(fder)
	if !ok {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// interactive reports whether a person sits at tok's terminal: stdin and
// stderr are both terminals.
func (a *App) interactive() bool {
	return isTerminal(a.Stdin) && isTerminal(a.Stderr)
}
