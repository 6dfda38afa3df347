// Package cli is tok's command line: one file per verb. Each cobra RunE
// parses and validates, then calls a run function that does the work with
// the dependencies in App.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/tokerr"
)

// Main runs tok with args and returns the process exit status. It is the
// one place that prints errors.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	harden()
	app := NewApp(stdin, stdout, stderr)
	return app.Run(ctx, args)
}

// Run executes one command line with a's dependencies.
func (a *App) Run(ctx context.Context, args []string) int {
	root := newRoot(a)
	root.SetArgs(args)
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil && !errors.Is(err, errChildExit) {
		fmt.Fprintln(a.Stderr, "tok: interrupted")
		return int(tokerr.Interrupted)
	}
	var ce *childExit
	if errors.As(err, &ce) {
		return ce.code
	}
	err = classifyCobra(root, cmd, err)
	// SPEC.md: one line, with the command that fixes it where there is one.
	line := oneLine(err.Error())
	if hint := tokerr.HintOf(err); hint != "" {
		line += "; " + hint
	}
	fmt.Fprintf(a.Stderr, "tok: %s\n", line)
	return tokerr.ExitCode(err)
}

// classifyCobra gives the one cobra error tok cannot type at its source a
// usage exit status: an unknown command. Cobra reports it from the root,
// which runs nothing, so any other error there is impossible; flag and
// argument errors are tokerr errors already (SetFlagErrorFunc, usageArgs).
func classifyCobra(root, cmd *cobra.Command, err error) error {
	var te *tokerr.Error
	if errors.As(err, &te) || cmd != root {
		return err
	}
	return &tokerr.Error{Code: tokerr.Usage, Err: err, Hint: "run: tok --help"}
}

// oneLine keeps an error to the single line SPEC.md promises.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		rest := strings.TrimSpace(s[i+1:])
		s = s[:i]
		// cobra puts "Did you mean this?" suggestions on later lines.
		if strings.HasPrefix(rest, "Did you mean this?") {
			s += " (did you mean " + strings.TrimSpace(strings.TrimPrefix(rest, "Did you mean this?")) + "?)"
		}
	}
	// Messages may quote a config file, an argument or a server: no
	// terminal escapes or other control characters reach the terminal.
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

// errChildExit marks the exit of an exec'd child, whose status becomes
// tok's own.
var errChildExit = errors.New("child exited")

type childExit struct{ code int }

func (c *childExit) Error() string { return fmt.Sprintf("command exited with status %d", c.code) }
func (c *childExit) Unwrap() error { return errChildExit }
