package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/execx"
	"github.com/tok-cli/tok/internal/tokerr"
)

type execOptions struct {
	Targets []string
	Env     []string
	Command []string
	MinTTL  time.Duration
	minSet  bool
}

func newExecCmd(a *App) *cobra.Command {
	opts := &execOptions{}
	cmd := &cobra.Command{
		Use:               "exec [TARGET]... [--env NAME=TARGET]... -- COMMAND [ARG]...",
		Short:             "Run a command with fresh tokens in its environment",
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash < 0 || dash == len(args) {
				return tokerr.New(tokerr.Usage, "exec needs a command after --").WithHint("usage: tok exec TARGET -- COMMAND [ARG]...")
			}
			opts.Targets, opts.Command = args[:dash], args[dash:]
			opts.minSet = cmd.Flags().Changed("min-ttl")
			if len(opts.Targets) == 0 && len(opts.Env) == 0 {
				return tokerr.New(tokerr.Usage, "exec needs at least one TARGET or --env NAME=TARGET")
			}
			return runExec(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Env, "env", nil, "also set NAME to TARGET's token (repeatable)")
	cmd.Flags().DurationVar(&opts.MinTTL, "min-ttl", 60*time.Second, "refresh first when a token has less than this left (env TOK_MIN_TTL)")
	return cmd
}

// binding is one environment variable and the target whose token it gets.
type binding struct {
	Name   string
	Target string
}

func (a *App) bindings(ctx context.Context, opts *execOptions) ([]binding, error) {
	var out []binding
	for _, arg := range opts.Targets {
		_, p, err := a.resolve(ctx, arg)
		if err != nil {
			return nil, err
		}
		for _, name := range p.Env {
			out = append(out, binding{Name: name, Target: arg})
		}
	}
	for _, kv := range opts.Env {
		name, target, ok := strings.Cut(kv, "=")
		if !ok || name == "" || target == "" || strings.ContainsAny(name, " \t") {
			return nil, tokerr.New(tokerr.Usage, "--env %q is not NAME=TARGET", kv)
		}
		out = append(out, binding{Name: name, Target: target})
	}
	return out, nil
}

func runExec(ctx context.Context, a *App, opts *execOptions) error {
	minTTL := a.cfg.MinTTL
	if opts.minSet {
		minTTL = opts.MinTTL
	}
	binds, err := a.bindings(ctx, opts)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, b := range binds {
		_, rec, err := a.fresh(ctx, b.Target, minTTL)
		if err != nil {
			return err
		}
		env[b.Name] = rec.AccessToken
	}
	code, err := execx.Run(execx.Spec{
		Argv: opts.Command, Env: env, Stdin: a.Stdin, Stdout: a.Stdout, Stderr: a.Stderr,
		Strip: []string{"TOK_PASSPHRASE", "TOK_SECRET", "TOK_URL"},
	})
	if err != nil {
		return err
	}
	return &childExit{code: code}
}
