package cli

import (
	"context"
	"time"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/serve"
	"github.com/tok-cli/tok/internal/target"
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
	return serve.Start(args, fetch, a.noteLine, a.serveRefused(targets))
}

// serveRefused records in the audit log a request the endpoint refused
// (README "Audit log"): no or a wrong secret, a browser page, a target
// not given to this exec.
func (a *App) serveRefused(targets []*execTarget) serve.Refused {
	log, argv0 := a.auditLog(), ""
	if len(targets) > 0 {
		argv0 = targets[0].Argv0
	}
	return func(asked, reason string) {
		// As tok audit TARGET looks for it: dex, not dex:default.
		if t, err := target.Parse(asked); err == nil {
			asked = t.String()
		}
		log.Write(audit.Entry{Event: audit.EventRefusal, Verb: "serve", Target: asked, Reason: reason, Argv0: argv0})
	}
}
