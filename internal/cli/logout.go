package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/target"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

type logoutOptions struct {
	Target   string
	All      bool
	NoRevoke bool
}

func newLogoutCmd(a *App) *cobra.Command {
	opts := &logoutOptions{}
	cmd := &cobra.Command{
		Use:   "logout TARGET | --all",
		Short: "Revoke a login at the provider and forget it",
		Long: `logout revokes TARGET's tokens at the provider where it offers revocation
(RFC 7009), then forgets the login locally. --no-revoke only forgets;
--all logs out of every stored login. Logging out of a login that is not
stored is not an error.`,
		Example: `  tok logout github:work
  tok logout dex --no-revoke
  tok logout --all`,
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.All && len(args) > 0:
				return tokerr.New(tokerr.Usage, "logout takes a TARGET or --all, not both")
			case opts.All:
				return runLogoutAll(cmd.Context(), a, opts)
			case len(args) != 1:
				return tokerr.New(tokerr.Usage, "tok logout needs a TARGET, or --all").WithHint("usage: %s", cmd.UseLine())
			}
			opts.Target = args[0]
			return runLogout(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "log out of every stored login")
	cmd.Flags().BoolVar(&opts.NoRevoke, "no-revoke", false, "forget locally without asking the provider to revoke")
	return cmd
}

// runLogout revokes the refresh token, then the access token, where the
// provider can; local state goes even when revocation fails. Logging out
// twice is not an error.
//
// A login whose provider left the config file can still be forgotten
// with --no-revoke: forgetting needs no provider; revoking does.
func runLogout(ctx context.Context, a *App, opts *logoutOptions) error {
	t, p, err := a.resolver().Resolve(ctx, opts.Target)
	var gone *target.UnconfiguredError
	switch {
	case errors.As(err, &gone) && opts.NoRevoke:
		t, p = gone.Target, &provider.Provider{}
	case err != nil:
		return err
	}
	m, err := a.manager()
	if err != nil {
		return err
	}
	return a.logout(ctx, m, t, p, !opts.NoRevoke)
}

func (a *App) logout(ctx context.Context, m *token.Manager, t token.Target, p *provider.Provider, revoke bool) error {
	found, err := m.Logout(ctx, t, p, revoke)
	if err != nil {
		return err
	}
	if !found {
		// Another store sharing the state dir may hold a login of t:
		// say which store has none (README "Where tokens are kept").
		a.note("not logged in to %s in the %s store: nothing to do", t, a.storeName())
		return nil
	}
	a.note("logged out of %s", t)
	return nil
}

// runLogoutAll logs out of every stored login, one line each on stderr.
// It succeeds once nothing is stored, whatever revocations failed (they
// are warned about).
func runLogoutAll(ctx context.Context, a *App, opts *logoutOptions) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	entries, err := a.resolver().Stored(ctx)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		a.note("no logins stored: nothing to do")
		return nil
	}
	var firstErr error
	for _, e := range entries {
		t := target.EntryTarget(e)
		p, perr := a.resolver().Provider(e.Provider)
		revoke := !opts.NoRevoke
		if perr != nil {
			// The provider left the config: the login can only be
			// forgotten.
			a.warn("cannot revoke %s: %s", t, oneLine(perr.Error()))
			revoke, p = false, &provider.Provider{}
		}
		if err := a.logout(ctx, m, t, p, revoke); err != nil {
			a.warn("could not log out of %s: %s", t, oneLine(err.Error()))
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	left, err := a.resolver().Stored(ctx)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		// With the first failure's exit status and fix: a secret that
		// does not open the store is exit 5 (README "Exit status").
		msg := fmt.Sprintf("%d of %d logins are still stored (%s first)", len(left), len(entries), target.EntryTarget(left[0]))
		if firstErr == nil {
			return errors.New(msg)
		}
		return tokerr.Wrap(tokerr.Code(tokerr.ExitCode(firstErr)), firstErr, "%s", msg)
	}
	return nil
}
