package cli

import (
	"context"
	"time"

	"github.com/tok-cli/tok/internal/serve"
)

// startServe starts the token endpoint of `exec --serve` for targets. Each
// request gets a token with minTTL left, refreshed through the manager as
// `tok print` would, so it shares the lock and the store with every other
// tok process.
func (a *App) startServe(ctx context.Context, targets []*execTarget, minTTL time.Duration) (*serve.Server, error) {
	var argv0 string
	args := make([]string, len(targets))
	for i, et := range targets {
		args[i], argv0 = et.Arg, et.Argv0
	}
	fetch := func(rctx context.Context, arg string) (any, error) {
		// The request's context ends with the request, the server's
		// with the child.
		rctx, cancel := context.WithCancel(rctx)
		defer cancel()
		stop := context.AfterFunc(ctx, cancel)
		defer stop()
		t, rec, err := a.freshArg(rctx, arg, minTTL)
		if err != nil {
			a.refused("serve", arg, err)
			return nil, err
		}
		a.handedOut("serve", t, rec, argv0)
		return newTokenDoc(t, rec, a.Now()), nil
	}
	return serve.Start(args, fetch, a.Stderr)
}
