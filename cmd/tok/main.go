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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
