package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
)

type logoutOptions struct {
	Target   string
	NoRevoke bool
}

func newLogoutCmd(a *App) *cobra.Command {
	opts := &logoutOptions{}
	cmd := &cobra.Command{
		Use:               "logout TARGET",
		Short:             "Revoke a login at the provider and forget it",
		Args:              usageArgs(1, "a TARGET"),
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			return runLogout(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoRevoke, "no-revoke", false, "forget locally without asking the provider to revoke")
	return cmd
}

// runLogout revokes the refresh token, then the access token, where the
// provider can; local state goes even when revocation fails. Logging out
// twice is not an error.
func runLogout(ctx context.Context, a *App, opts *logoutOptions) error {
	t, p, err := a.resolver().Resolve(ctx, opts.Target)
	if err != nil {
		return err
	}
	m, st, err := a.manager()
	if err != nil {
		return err
	}
	unlock, err := m.Locks.Lock(ctx, t.Key())
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := st.Load(ctx, t.Provider, t.Account)
	switch {
	case errors.Is(err, store.ErrNotFound):
		fmt.Fprintf(a.Stderr, "tok: not logged in to %s: nothing to do\n", t)
		return st.Remove(ctx, t.Provider, t.Account)
	case err != nil && !errors.Is(err, store.ErrCorrupt):
		return err
	}
	if rec != nil && !opts.NoRevoke && a.mcpClient(ctx, p) == nil {
		a.revoke(ctx, m, t, p, rec)
	}
	if err := st.Remove(ctx, t.Provider, t.Account); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "tok: logged out of %s\n", t)
	return nil
}

func (a *App) revoke(ctx context.Context, m *token.Manager, t token.Target, p *provider.Provider, rec *store.Record) {
	md, err := m.Discover.Endpoints(ctx, p)
	if err != nil || md.RevocationURL == "" {
		fmt.Fprintf(a.Stderr, "tok: warning: %s has no revocation endpoint: the tokens stay valid at the provider until they expire\n", p.Name)
		return
	}
	for _, tk := range []struct{ value, hint string }{{rec.RefreshToken, "refresh_token"}, {rec.AccessToken, "access_token"}} {
		if tk.value == "" {
			continue
		}
		if err := token.Revoke(ctx, a.httpClient(), p, md.RevocationURL, tk.value, tk.hint); err != nil {
			fmt.Fprintf(a.Stderr, "tok: warning: could not revoke the %s of %s: %v\n", tk.hint, t, err)
		}
	}
}
