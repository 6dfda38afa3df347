package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

// printFormats are the values of print --format (README "print",
// "Formats").
var printFormats = []string{"token", "header", "json", formatIDToken, formatExecCredential}

type printOptions struct {
	Target string
	Format string
	MinTTL time.Duration
	minSet bool
	// Scopes narrow the token (README "Narrowed tokens for agents").
	Scopes []string
	// verb names the hand-out in the audit log: "print" unless set.
	verb string
}

func newPrintCmd(a *App) *cobra.Command {
	opts := &printOptions{}
	cmd := &cobra.Command{
		Use:     "print TARGET",
		Aliases: []string{"token"},
		Short:   "Print a fresh access token on stdout",
		Long: `print writes TARGET's access token on stdout, and nothing else there. When
the token has less than --min-ttl left it is refreshed first and the new
pair stored; a refresh that fails for a passing reason while the token is
still valid hands out the current token with a warning. print never starts
a consent flow: with nothing stored, or a refresh the provider rejects, it
exits 4 and names the login command. --format chooses the shape: the token,
an Authorization header, JSON, the OpenID ID token, or a Kubernetes
ExecCredential.`,
		Example: `  curl -H "$(tok print github --format header)" https://api.github.com/user
  export GITLAB_TOKEN=$(tok print gitlab)
  tok print dex --format json --min-ttl 10m
  tok print github:work --scope read:org`,
		Args:              usageArgs(1, "a TARGET (PROVIDER[:ACCOUNT] or an MCP server URL)"),
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			opts.minSet = cmd.Flags().Changed("min-ttl")
			if cmd.Flags().Changed("scope") && len(splitScopes(opts.Scopes)) == 0 {
				return tokerr.New(tokerr.Usage, "--scope names no scope")
			}
			if !slices.Contains(printFormats, opts.Format) {
				return tokerr.New(tokerr.Usage, "unknown format %q: use %s", opts.Format, strings.Join(printFormats, ", "))
			}
			return runPrint(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "token", "output: "+strings.Join(printFormats, ", "))
	cmd.Flags().StringArrayVar(&opts.Scopes, "scope", nil, "a token limited to granted scope S (repeatable)")
	cmd.Flags().DurationVar(&opts.MinTTL, "min-ttl", 60*time.Second, "refresh first when the token has less than this left (env TOK_MIN_TTL)")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(printFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runPrint(ctx context.Context, a *App, opts *printOptions) error {
	minTTL := a.minTTL(opts.minSet, opts.MinTTL)
	verb := cmp.Or(opts.verb, "print")
	t, p, err := a.resolver().Resolve(ctx, opts.Target)
	if err != nil {
		return err
	}
	if opts.Format == formatIDToken || opts.Format == formatExecCredential {
		return a.printCredential(ctx, t, p, minTTL, opts.Format, verb, splitScopes(opts.Scopes))
	}
	var rec *store.Record
	if scopes := splitScopes(opts.Scopes); len(scopes) > 0 {
		rec, err = a.narrowed(ctx, t, p, scopes, minTTL)
	} else {
		rec, err = a.fresh(ctx, t, p, minTTL)
	}
	if err != nil {
		a.refused(verb, opts.Target, err)
		return err
	}
	if err := writeToken(a.Stdout, opts.Format, t, rec, a.Now()); err != nil {
		return err
	}
	a.handedOut(verb, t, rec, "")
	return nil
}

// minTTL is --min-ttl when it was given, else the config's (TOK_MIN_TTL,
// min_ttl, 60s).
func (a *App) minTTL(flagSet bool, flag time.Duration) time.Duration {
	if flagSet {
		return flag
	}
	return a.cfg.MinTTL
}

// fresh returns t's token with minTTL left.
func (a *App) fresh(ctx context.Context, t token.Target, p *provider.Provider, minTTL time.Duration) (*store.Record, error) {
	m, err := a.manager()
	if err != nil {
		return nil, err
	}
	return m.Fresh(ctx, t, p, minTTL)
}

// tokenDoc is the `print --format json` document, also served by
// `exec --serve`.
type tokenDoc struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	Expiry      time.Time `json:"expiry,omitzero"`
	ExpiresIn   int64     `json:"expires_in,omitempty"`
	Scopes      []string  `json:"scopes"`
	Provider    string    `json:"provider"`
	Account     string    `json:"account"`
}

func newTokenDoc(t token.Target, rec *store.Record, now time.Time) tokenDoc {
	doc := tokenDoc{
		AccessToken: rec.AccessToken, TokenType: "Bearer", Scopes: rec.Scopes,
		Provider: t.Provider, Account: t.Account,
	}
	if doc.Scopes == nil {
		doc.Scopes = []string{}
	}
	if !rec.Expiry.IsZero() {
		doc.Expiry = rec.Expiry.UTC()
		doc.ExpiresIn = max(int64(rec.Expiry.Sub(now).Seconds()), 0)
	}
	return doc
}

func writeToken(w io.Writer, format string, t token.Target, rec *store.Record, now time.Time) error {
	var err error
	switch format {
	case "header":
		_, err = fmt.Fprintf(w, "Authorization: Bearer %s\n", rec.AccessToken)
	case "json":
		err = writeJSON(w, newTokenDoc(t, rec, now))
	default:
		_, err = fmt.Fprintln(w, rec.AccessToken)
	}
	return err
}

// splitScopes reads repeated --scope values, each of which may also hold
// several space-separated scopes (RFC 6749 §3.3).
func splitScopes(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, strings.Fields(a)...)
	}
	return out
}

// writeJSON writes v as indented JSON and a newline: the one shape of
// every --json and --format json answer on stdout.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
