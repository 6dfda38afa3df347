package cli

import (
	"regexp"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/tokerr"
)

func newRoot(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "tok",
		Short: "OAuth 2.0 tokens for scripts, agents and CI, without passwords",
		Long: `tok logs you in to an OAuth provider once, keeps the tokens in the OS keyring,
and hands fresh access tokens to scripts, agents and CI jobs.

A TARGET is PROVIDER, PROVIDER:ACCOUNT (several logins per provider) or an
MCP server's URL; the account is "default" when not given. stdout carries
data only; everything for people goes to stderr. See tok help exit-codes
and tok help environment.`,
		Example: `  tok login github
  tok print github
  tok exec github -- gh pr list
  tok status`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Commands that need no config (completion, version) skip loading.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseNegativeDurations(cmd); err != nil {
				return err
			}
			if cmd.Annotations["config"] == "none" {
				return nil
			}
			// A refresh is logged with the verb that caused it.
			cmd.SetContext(audit.WithVerb(cmd.Context(), cmd.Name()))
			a.verb = cmd.Name()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			a.cfg = cfg
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.ConfigFlag, "config", "", "config file (default $XDG_CONFIG_HOME/tok/config.yaml, env TOK_CONFIG)")
	root.PersistentFlags().BoolVarP(&a.Verbose, "verbose", "v", false, "log HTTP requests on stderr (secrets are never logged)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// A duration flag's value, said without Go's parser text.
		if m := badDuration.FindStringSubmatch(err.Error()); m != nil {
			return tokerr.New(tokerr.Usage, "%s %q is not a duration like 30s, 5m or 1h", m[2], m[1]).WithHint("run: %s --help", c.CommandPath())
		}
		return &tokerr.Error{Code: tokerr.Usage, Err: err, Hint: "run: " + c.CommandPath() + " --help"}
	})
	root.AddCommand(
		newLoginCmd(a), newPrintCmd(a), newExecCmd(a), newStatusCmd(a),
		newRefreshCmd(a), newLogoutCmd(a), newProvidersCmd(a), newImportCmd(a), newAuditCmd(a), newProfilesCmd(a),
		newKubeCredentialCmd(a), newGitCredentialCmd(a),
		newKeygenCmd(a), newCompletionCmd(), newVersionCmd(),
	)
	root.AddCommand(newHelpTopics()...)
	root.SetHelpCommand(newHelpCmd())
	return root
}

// refuseNegativeDurations refuses a negative value of any duration flag
// (--min-ttl, --timeout, --since): none of them means anything below zero.
func refuseNegativeDurations(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Value.Type() != "duration" {
			return
		}
		if d, perr := time.ParseDuration(f.Value.String()); perr == nil && d < 0 {
			err = tokerr.New(tokerr.Usage, "--%s %s is negative: give a duration like 30s, 5m or 1h", f.Name, d).
				WithHint("run: %s --help", cmd.CommandPath())
		}
	})
	return err
}

var badDuration = regexp.MustCompile(`^invalid argument "(.*)" for "(.*)" flag: time: `)

// Argument validators. Every command sets Args to one of these rather than
// to cobra's own (cobra.ExactArgs, MaximumNArgs...), whose errors carry no
// exit status: these return tok's usage error (exit 2). Flag errors get
// theirs from the root's SetFlagErrorFunc. Checks cobra cannot express
// (MarkFlagRequired, flag groups) go in RunE, returning a tokerr error.

// usageArgs is cobra.ExactArgs with a usage exit status.
func usageArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if n > 0 && len(args) > n {
			return tokerr.New(tokerr.Usage, "%s takes %s, not also %q", cmd.CommandPath(), what, args[n]).WithHint("usage: %s", cmd.UseLine())
		}
		if len(args) != n {
			return tokerr.New(tokerr.Usage, "%s needs %s", cmd.CommandPath(), what).WithHint("usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// maxArgs is cobra.MaximumNArgs with a usage exit status.
func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return tokerr.New(tokerr.Usage, "%s takes at most %s, not %q", cmd.CommandPath(), what, args[n]).WithHint("usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// completeTargets offers provider names and stored logins.
func completeTargets(a *App) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		cfg, err := a.loadConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		a.cfg = cfg
		return a.resolver().Names(cmd.Context()), cobra.ShellCompDirectiveNoFileComp
	}
}
