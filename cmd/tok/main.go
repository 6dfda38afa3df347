// Command tok is a command-line OAuth 2.0 token manager.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tok-cli/tok/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), interrupts()...)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interrupts are the signals that stop tok's own work (README "print":
// a refresh under way is finished and stored first, then tok exits 130).
// A hangup (terminal closed, SSH dropped) is one too, unless tok was
// started with it ignored (nohup): then it stays ignored.
func interrupts() []os.Signal {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return sigs
}
