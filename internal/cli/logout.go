package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
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
	m, err := a.manager()
	if err != nil {
		return err
	}
	found, err := m.Logout(ctx, t, p, !opts.NoRevoke)
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(a.Stderr, "tok: not logged in to %s: nothing to do\n", t)
		return nil
	}
	fmt.Fprintf(a.Stderr, "tok: logged out of %s\n", t)
	return nil
}
