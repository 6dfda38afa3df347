package cli

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/execx"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

type execOptions struct {
	Targets    []string
	Env        []string
	Command    []string
	MinTTL     time.Duration
	minSet     bool
	Serve      bool
	TokenFiles bool
	NoEnv      bool
	// Profile names a profile of the config (--profile).
	Profile string
	// Scopes are --scope [TARGET=]S arguments; profileScopes the
	// profile's, in the same form.
	Scopes        []string
	profileScopes []string
	RevokeOnExit  bool
}

func newExecCmd(a *App) *cobra.Command {
	opts := &execOptions{}
	cmd := &cobra.Command{
		Use:   "exec [TARGET]... [--profile NAME] [--env NAME=TARGET]... [--scope [TARGET=]S]... -- COMMAND [ARG]...",
		Short: "Run a command with fresh tokens in its environment",
		Long: `exec runs COMMAND with each TARGET's fresh token in its provider's variables
(default: the provider name upper-cased plus _TOKEN; --env adds or renames
them). Tokens go into the child's environment only: never its argv, tok's
own environment, or a file unless --token-files asks. For long-running
commands, --serve answers fresh tokens on 127.0.0.1 (TOK_URL, TOK_SECRET)
and --token-files keeps private files fresh. --scope and --revoke-on-exit
hand out narrowed tokens for this run only; --profile takes all of that from
the config. tok exits with the child's status (127 when the command is
missing, 126 when it cannot run) and forwards SIGINT, SIGTERM and SIGHUP to
it once.`,
		Example: `  tok exec github -- gh pr list
  tok exec dex --env API_TOKEN=dex -- ./deploy.sh
  tok exec github gitlab -- ./sync-mirrors
  tok exec github --serve --no-env -- my-agent
  tok exec --profile coder -- my-agent`,
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash < 0 || dash == len(args) || args[dash] == "" {
				return tokerr.New(tokerr.Usage, "exec needs a command after --").WithHint("usage: tok exec TARGET -- COMMAND [ARG]...")
			}
			opts.Targets, opts.Command = slices.Clone(args[:dash]), args[dash:]
			opts.minSet = cmd.Flags().Changed("min-ttl")
			if opts.NoEnv && !opts.Serve && !opts.TokenFiles {
				return tokerr.New(tokerr.Usage, "--no-env needs --serve or --token-files: the command would get no token")
			}
			return runExec(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Env, "env", nil, "also set NAME to TARGET's token (repeatable)")
	f.DurationVar(&opts.MinTTL, "min-ttl", 60*time.Second, "refresh first when a token has less than this left (env TOK_MIN_TTL)")
	f.BoolVar(&opts.Serve, "serve", false, "serve fresh tokens to the command on 127.0.0.1 (sets TOK_URL and TOK_SECRET)")
	f.BoolVar(&opts.TokenFiles, "token-files", false, "also write each token to a private file kept fresh (sets NAME_FILE)")
	f.BoolVar(&opts.NoEnv, "no-env", false, "with --serve or --token-files: do not put the tokens themselves in the environment")
	f.StringVar(&opts.Profile, "profile", "", "take targets, scopes and revoke_on_exit from this profile of the config (see tok profiles)")
	f.StringArrayVar(&opts.Scopes, "scope", nil, "hand TARGET a token limited to granted scope S (repeatable; TARGET= may be left out with one target)")
	f.BoolVar(&opts.RevokeOnExit, "revoke-on-exit", false, "mint tokens for this run only and revoke them when the command exits")
	cmd.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		if cfg, err := a.loadConfig(); err == nil {
			return profileNames(cfg), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// execTarget is a target of one exec, resolved, and the token it had at
// start.
type execTarget struct {
	Arg   string // as written on the command line
	Names []string
	T     token.Target
	P     *provider.Provider
	Rec   *store.Record
	// Argv0 is the command the tokens are for, for the audit log.
	Argv0 string
	// Scopes, when set, narrow the target's token (README "Narrowed
	// tokens for agents").
	Scopes []string
	// run holds the tokens minted for this run alone (--revoke-on-exit).
	run *runTokens
}

func runExec(ctx context.Context, a *App, opts *execOptions) error {
	minTTL := a.minTTL(opts.minSet, opts.MinTTL)
	if err := a.planExec(ctx, opts); err != nil {
		return err
	}
	targets, err := a.execTargets(ctx, opts, minTTL)
	if targets != nil && opts.RevokeOnExit {
		// Tokens minted before a later target failed are revoked too.
		defer a.revokeRun(ctx, targets)
	}
	if err != nil {
		return err
	}
	env, strip := map[string]string{}, childStrip()
	for _, et := range targets {
		et.Argv0 = opts.Command[0]
		for _, name := range et.Names {
			env[name] = et.Rec.AccessToken
		}
		if len(et.Names) > 0 && !opts.NoEnv {
			a.handedOut("exec", et.T, et.Rec, et.Argv0)
		}
	}
	if opts.NoEnv {
		// Not even a stale token of the same name from tok's own
		// environment.
		for name := range env {
			strip = append(strip, name)
		}
		clear(env)
	}
	// What serves the child lives as long as the child, whatever signals
	// tok gets meanwhile: they are the child's to act on.
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	if opts.Serve {
		srv, err := a.startServe(bg, targets, minTTL)
		if err != nil {
			return err
		}
		defer srv.Close()
		env["TOK_URL"], env["TOK_SECRET"] = srv.URL(), srv.Secret()
	}
	if opts.TokenFiles {
		files, err := a.startTokenFiles(bg, targets, minTTL)
		if err != nil {
			return err
		}
		defer files.Close()
		for name, path := range files.Paths() {
			env[name+"_FILE"] = path
		}
	}
	code, err := execx.Run(execx.Spec{
		Argv: opts.Command, Env: env, Stdin: a.Stdin, Stdout: a.Stdout, Stderr: a.Stderr,
		Strip: strip,
	})
	var se *execx.StartError
	if errors.As(err, &se) {
		// Printed as tok's error, with the shell's status for it.
		return &tokerr.Error{Code: tokerr.Code(se.Status), Err: se}
	}
	if err != nil {
		return err
	}
	return &childExit{code: code}
}

// childStrip lists the variables of tok's own that the child does not get:
// tok's secrets (file-store passphrase, client secrets) and an outer
// `exec --serve`'s endpoint, which is not this child's to use.
func childStrip() []string {
	strip := []string{"TOK_SECRET", "TOK_URL"}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); secretEnv(name) {
			strip = append(strip, name)
		}
	}
	return strip
}

// execTargets resolves each target once and fetches its token once, in
// command-line order: positional targets first, then those only named by
// --env.
func (a *App) execTargets(ctx context.Context, opts *execOptions, minTTL time.Duration) ([]*execTarget, error) {
	var out []*execTarget
	byArg := map[string]*execTarget{}
	add := func(arg string) {
		if byArg[arg] == nil {
			byArg[arg] = &execTarget{Arg: arg}
			out = append(out, byArg[arg])
		}
	}
	for _, arg := range opts.Targets {
		add(arg)
	}
	r := a.resolver()
	for _, et := range out {
		var err error
		if et.T, et.P, err = r.Resolve(ctx, et.Arg); err != nil {
			return nil, err
		}
	}
	binds, err := bindings(out, opts)
	if err != nil {
		return nil, err
	}
	for _, b := range binds {
		add(b.Target)
		byArg[b.Target].Names = append(byArg[b.Target].Names, b.Name)
	}
	for _, et := range out {
		if et.P == nil {
			if et.T, et.P, err = r.Resolve(ctx, et.Arg); err != nil {
				return nil, err
			}
		}
	}
	if err := assignScopes(out, opts); err != nil {
		return nil, err
	}
	if opts.RevokeOnExit {
		if err := a.checkRevocable(ctx, out); err != nil {
			return nil, err
		}
	}
	for _, et := range out {
		if et.Rec, err = a.execToken(ctx, et, minTTL); err != nil {
			a.refused("exec", et.Arg, err)
			return out, err
		}
	}
	return out, nil
}
