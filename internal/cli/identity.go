package cli

import (
	"context"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/identity"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
)

// recordIdentity notes who logged in (README "Identity"): the ID token's
// claims, completed by the userinfo endpoint (or user API) when they
// leave something out. It never fails a login: what cannot be learnt
// stays empty. A client credentials login has no person behind it.
func (a *App) recordIdentity(ctx context.Context, p *provider.Provider, md *provider.Metadata, rec *store.Record) {
	if p.Flow == config.FlowClientCredentials {
		return
	}
	id := identity.FromIDToken(rec.IDToken)
	if !identity.Complete(id) && md.UserinfoURL != "" && provider.SecureURL(md.UserinfoURL) == nil {
		more, err := identity.Fetch(ctx, a.httpClient(), md.UserinfoURL, rec.AccessToken)
		if err == nil {
			id = identity.Merge(id, more)
		} else if a.Verbose {
			a.note("could not learn who logged in: %v", err)
		}
	}
	if !id.IsZero() {
		rec.Identity = &id
	}
}
