package cli

import (
	"context"
	"time"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/serve"
)

// startServe starts the token endpoint of `exec --serve` for targets. Each
// request gets a token with minTTL left, refreshed through the manager as
// `tok print` would, so it shares the lock and the store with every other
// tok process.
func (a *App) startServe(ctx context.Context, targets []*execTarget, minTTL time.Duration) (*serve.Server, error) {
	args := make([]string, len(targets))
	byArg := map[string]*execTarget{}
	for i, et := range targets {
		args[i], byArg[et.Arg] = et.Arg, et
	}
	fetch := func(rctx context.Context, arg string) (any, error) {
		// The request's context ends with the request, the server's
		// with the child.
		rctx, cancel := context.WithCancel(rctx)
		defer cancel()
		stop := context.AfterFunc(ctx, cancel)
		defer stop()
		rctx = audit.WithVerb(rctx, "serve")
		et := byArg[arg]
		rec, err := a.execToken(rctx, et, minTTL)
		if err != nil {
			a.refused("serve", arg, err)
			return nil, err
		}
		a.handedOut("serve", et.T, rec, et.Argv0)
		return newTokenDoc(et.T, rec, a.Now()), nil
	}
	return serve.Start(args, fetch, a.noteLine)
}
