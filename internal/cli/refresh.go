package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newRefreshCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "refresh TARGET",
		Short: "Refresh a login's token now",
		Long: `refresh renews TARGET's token now, whatever its lifetime, and stores the new
pair. Unlike print, it fails (exit 1) on any refresh failure, and exits 4
when the provider rejects the refresh token: log in again.`,
		Example: `  tok refresh github
  tok refresh google:ci && tok status google:ci`,
		Args:              usageArgs(1, "a TARGET"),
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRefresh(cmd.Context(), a, args[0])
		},
	}
}

func runRefresh(ctx context.Context, a *App, arg string) error {
	t, p, err := a.resolver().Resolve(ctx, arg)
	if err != nil {
		return err
	}
	m, err := a.manager()
	if err != nil {
		return err
	}
	rec, err := m.Refresh(ctx, t, p)
	if err != nil {
		return err
	}
	a.note("refreshed %s (scopes: %s; %s)", t, scopeList(rec.Scopes), lifetime(rec, a.Now()))
	return nil
}
