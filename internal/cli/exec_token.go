package cli

import (
	"context"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

// execToken is et's token with minTTL left, for the start of the command,
// a --serve answer or a --token-files write: the login's own, a narrowed
// one shared through the cache, or, with --revoke-on-exit, one minted for
// this run alone.
//
// The target is resolved again each time: the token endpoint and token
// files run as long as the command, and a login renewed meanwhile (an MCP
// server registered anew) must count.
func (a *App) execToken(ctx context.Context, et *execTarget, minTTL time.Duration) (*store.Record, error) {
	if et.run != nil {
		return a.runToken(ctx, et, minTTL)
	}
	t, p, err := a.resolver().Resolve(ctx, et.Arg)
	if err != nil {
		return nil, err
	}
	if len(et.Scopes) > 0 {
		return a.narrowed(ctx, t, p, et.Scopes, minTTL)
	}
	return a.fresh(ctx, t, p, minTTL)
}

// narrowed returns t's token limited to scopes, with minTTL left.
func (a *App) narrowed(ctx context.Context, t token.Target, p *provider.Provider, scopes []string, minTTL time.Duration) (*store.Record, error) {
	m, err := a.manager()
	if err != nil {
		return nil, err
	}
	return m.Narrowed(ctx, t, p, scopes, minTTL)
}

// runTokens are the tokens minted for one exec run with --revoke-on-exit:
// never cached, never handed to another process, revoked at exit.
type runTokens struct {
	mu      sync.Mutex
	current *store.Record
	minted  []string
	// revokeOrigin is the origin of the revocation endpoint checked
	// before the run (checkRevocable): the only one the tokens go to.
	revokeOrigin string
}

func (a *App) runToken(ctx context.Context, et *execTarget, minTTL time.Duration) (*store.Record, error) {
	et.run.mu.Lock()
	defer et.run.mu.Unlock()
	if cur := et.run.current; cur != nil && cur.TTL(a.Now()) > minTTL {
		return cur, nil
	}
	m, err := a.manager()
	if err != nil {
		return nil, err
	}
	rec, err := m.MintNarrowed(ctx, et.T, et.P, et.Scopes)
	if rec != nil {
		// Minted, even when tok was interrupted meanwhile: revoked at
		// exit all the same.
		et.run.minted = append(et.run.minted, rec.AccessToken)
	}
	if err != nil {
		return nil, err
	}
	et.run.current = rec
	return rec, nil
}

// checkRevocable refuses --revoke-on-exit up front for a target whose
// tokens tok cannot revoke alone (README "Narrowed tokens for agents").
func (a *App) checkRevocable(ctx context.Context, targets []*execTarget) error {
	for _, et := range targets {
		if et.P.RevokeEndsGrant {
			return tokerr.New(tokerr.Usage, "--revoke-on-exit: revoking a token of %s ends its whole login (the provider revokes the grant), so tok will not do it for %s", et.P.Name, et.T)
		}
		md, err := a.discoverer().Endpoints(ctx, et.P)
		if err != nil {
			return err
		}
		if md.RevocationURL == "" {
			return tokerr.New(tokerr.Usage, "--revoke-on-exit: %s has no revocation endpoint (RFC 7009), so the tokens of %s would stay valid after the command", et.P.Name, et.T).
				WithHint("set %s in the config file (or %s), or run without --revoke-on-exit", config.KeyPath(et.P.Name, "revocation_url"), config.EnvVar(et.P.Name, "REVOCATION_URL"))
		}
		if err := a.checkRevocationBound(ctx, et, md); err != nil {
			return err
		}
		et.run = &runTokens{revokeOrigin: token.TokenOrigin(md.RevocationURL)}
	}
	return nil
}

// checkRevocationBound refuses --revoke-on-exit when the revocation
// endpoint is not the login's (README "A login stays with its server"),
// before any token is minted. A client_credentials provider's tokens come
// from its config alone, and a target with no login fails when its token
// is fetched.
func (a *App) checkRevocationBound(ctx context.Context, et *execTarget, md *provider.Metadata) error {
	if et.P.Flow == config.FlowClientCredentials {
		return nil
	}
	m, err := a.manager()
	if err != nil {
		return err
	}
	rec, err := m.Store.Load(ctx, et.T.Provider, et.T.Account)
	if err != nil {
		return nil
	}
	return token.CheckRevocation(et.T, et.P, md, rec)
}

// revokeRun revokes every token minted for this run, after the command
// ended however it ended. ctx may already be done (tok got the signal
// that killed the command): revocation gets a bounded context of its own.
func (a *App) revokeRun(ctx context.Context, targets []*execTarget) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	for _, et := range targets {
		if et.run == nil {
			continue
		}
		et.run.mu.Lock()
		minted := et.run.minted
		et.run.minted, et.run.current = nil, nil
		et.run.mu.Unlock()
		for _, tok := range minted {
			a.revokeRunToken(rctx, et, tok)
		}
	}
}

func (a *App) revokeRunToken(ctx context.Context, et *execTarget, tok string) {
	if err := a.mcpClient(ctx, et.P); err != nil {
		a.warn("could not revoke a token of %s: %s", et.T, oneLine(err.Error()))
		return
	}
	md, err := a.discoverer().Endpoints(ctx, et.P)
	if err == nil && token.TokenOrigin(md.RevocationURL) != et.run.revokeOrigin {
		a.warn("did not revoke a token of %s: %s's revocation endpoint moved from %s to %s during the run", et.T, et.P.Name, et.run.revokeOrigin, token.TokenOrigin(md.RevocationURL))
		return
	}
	if err == nil {
		err = token.Revoke(ctx, a.httpClient(), et.P, md.RevocationURL, tok, "access_token")
	}
	if err != nil {
		a.warn("could not revoke a token of %s: %s", et.T, oneLine(err.Error()))
		return
	}
	a.auditLog().Write(audit.Entry{Event: audit.EventRevoke, Verb: "exec", Target: et.T.String(), Scopes: et.Scopes, TokenSHA256: audit.TokenID(tok), Argv0: et.Argv0})
}
