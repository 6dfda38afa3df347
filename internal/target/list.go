package target

import (
	"context"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
)

// Stored lists the stored logins from the non-secret index (r.Logins, else
// the state dir's), sorted by provider then account: no keyring prompt, no
// token. Use EntryTarget for each one's Target.
func (r *Resolver) Stored(ctx context.Context) ([]store.Entry, error) {
	if r.Logins != nil {
		return r.Logins(ctx)
	}
	return store.NewIndex(r.Config.StateDir).List()
}

// EntryTarget is the target of a stored login.
func EntryTarget(e store.Entry) Target {
	return Target{Provider: e.Provider, Account: e.Account}
}

// Providers lists the built-in, configured and remembered providers, then
// those defined by TOK_<P>_* variables alone.
func (r *Resolver) Providers() []string {
	names := provider.Names(r.Config)
	if r.Environ == nil {
		return names
	}
	known := map[string]bool{}
	for _, n := range names {
		known[config.EnvName(n)] = true
	}
	for _, n := range provider.EnvNames(r.Environ()) {
		if !known[config.EnvName(n)] {
			names = append(names, n)
		}
	}
	return names
}

// Names lists what a user may write as a target, for shell completion:
// every provider name, then each stored PROVIDER:ACCOUNT with an account
// other than the default.
func (r *Resolver) Names(ctx context.Context) []string {
	names := r.Providers()
	entries, _ := r.Stored(ctx)
	for _, e := range entries {
		if e.Account != DefaultAccount {
			names = append(names, EntryTarget(e).String())
		}
	}
	return names
}
