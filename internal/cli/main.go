package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

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
		a.note("interrupted")
		return int(tokerr.Interrupted)
	}
	var ce *childExit
	if errors.As(err, &ce) {
		return ce.code
	}
	err = classifyCobra(root, cmd, err)
	a.printError(err)
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

// errChildExit marks the exit of an exec'd child, whose status becomes
// tok's own.
var errChildExit = errors.New("child exited")

type childExit struct{ code int }

func (c *childExit) Error() string { return fmt.Sprintf("command exited with status %d", c.code) }
func (c *childExit) Unwrap() error { return errChildExit }
