package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

type statusOptions struct {
	Target string
	JSON   bool
}

func newStatusCmd(a *App) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status [TARGET]",
		Short: "List stored logins (never a token)",
		Long: `status lists the stored logins, or TARGET's: provider, account, who logged
in, granted scopes and when the token expires. It reads tok's index of
logins, not the keyring, and never prints a token. --json prints the same
for scripts.`,
		Example: `  tok status
  tok status github:work
  tok status --json | jq -r '.[] | select(.refreshable | not) | .target'`,
		Args:              maxArgs(1, "one TARGET"),
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Target = args[0]
			}
			return runStatus(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON for scripts")
	return cmd
}

// statusEntry is one login as `status --json` prints it.
type statusEntry struct {
	Provider  string     `json:"provider"`
	Account   string     `json:"account"`
	Target    string     `json:"target"`
	Scopes    []string   `json:"scopes"`
	Expiry    *time.Time `json:"expiry"`
	ExpiresIn *int64     `json:"expires_in"`
	// ExpiryUnknown: the provider gave no lifetime; expiry, if any, is
	// the assumed default_ttl.
	ExpiryUnknown bool      `json:"expiry_unknown,omitempty"`
	Refreshable   bool      `json:"refreshable"`
	ObtainedAt    time.Time `json:"obtained_at"`
	Store         string    `json:"store,omitempty"`
	// Identity is who logged in; its fields are empty when the provider
	// did not say (README "Identity").
	Identity store.Identity `json:"identity"`
}

// runStatus reads only the non-secret index: no keyring prompt, no token.
func runStatus(ctx context.Context, a *App, opts *statusOptions) error {
	entries, err := a.resolver().Stored(ctx)
	if err != nil {
		return err
	}
	if opts.Target != "" {
		t, _, err := a.resolver().Resolve(ctx, opts.Target)
		if err != nil {
			return err
		}
		all := entries
		entries = filterEntries(entries, t)
		if len(entries) == 0 {
			return noSuchLogin(t, all)
		}
	}
	out := make([]statusEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, newStatusEntry(e, a.Now()))
	}
	if opts.JSON {
		return writeJSON(a.Stdout, out)
	}
	if len(out) == 0 {
		a.note("no logins yet: run tok login PROVIDER")
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tIDENTITY\tSCOPES\tEXPIRES\tREFRESH")
	for _, e := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Target, shownIdentity(e.Identity), scopeList(e.Scopes), relExpiry(e, a.Now()), yesNo(e.Refreshable))
	}
	return tw.Flush()
}

func filterEntries(in []store.Entry, t token.Target) []store.Entry {
	var out []store.Entry
	for _, e := range in {
		if e.Provider == t.Provider && e.Account == t.Account {
			out = append(out, e)
		}
	}
	return out
}

func newStatusEntry(e store.Entry, now time.Time) statusEntry {
	t := token.Target{Provider: e.Provider, Account: e.Account}
	s := statusEntry{
		Provider: e.Provider, Account: e.Account, Target: t.String(), Scopes: e.Scopes,
		Refreshable: e.Refreshable, ObtainedAt: e.ObtainedAt, Store: e.Store,
		ExpiryUnknown: e.ExpiryUnknown,
	}
	if s.Scopes == nil {
		s.Scopes = []string{}
	}
	if e.Identity != nil {
		s.Identity = *e.Identity
	}
	if !e.Expiry.IsZero() {
		exp := e.Expiry.UTC()
		in := int64(e.Expiry.Sub(now).Seconds())
		s.Expiry, s.ExpiresIn = &exp, &in
	}
	return s
}

func relExpiry(e statusEntry, now time.Time) string {
	switch {
	case e.Expiry == nil && e.ExpiryUnknown:
		return "unknown"
	case e.Expiry == nil:
		return "never"
	}
	rel := untilExpiry(e.Expiry.Sub(now))
	if e.ExpiryUnknown {
		// The provider did not say: the time is default_ttl's guess.
		return "unknown (assumed " + rel + ")"
	}
	return rel
}

// untilExpiry words the time left, d, to the second: "in 4m51s",
// "expired 3s ago". Within a second of the expiry, where rounding would
// say "in 0s" or "expired 0s ago", it says "in under 1s" or "expired just
// now" (README "status: who is logged in").
func untilExpiry(d time.Duration) string {
	switch {
	case d > 0 && d < time.Second/2:
		return "in under 1s"
	case d > 0:
		return "in " + d.Round(time.Second).String()
	case d > -time.Second:
		return "expired just now"
	}
	return "expired " + (-d).Round(time.Second).String() + " ago"
}

// shownIdentity is the one name of the IDENTITY column: the username
// people know (GitHub login, preferred_username), else the email, the
// name, the subject; empty when the provider did not say.
func shownIdentity(id store.Identity) string {
	for _, s := range []string{id.Username, id.Email, id.Name, id.Sub} {
		if s != "" {
			return s
		}
	}
	return ""
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// noSuchLogin explains an empty status TARGET: a provider without logins
// needs one (exit 4); a named account that does not exist is a usage
// error (exit 2), with the account it was probably meant to be.
func noSuchLogin(t token.Target, all []store.Entry) error {
	var accounts []string
	for _, e := range all {
		if e.Provider == t.Provider {
			accounts = append(accounts, e.Account)
		}
	}
	if t.Account == token.DefaultAccount || len(accounts) == 0 {
		return tokerr.LoginNeededFor(t.String(), errors.New("nothing stored"))
	}
	e := tokerr.New(tokerr.Usage, "unknown account %q of %s", t.Account, t.Provider)
	if a := provider.Closest(t.Account, accounts); a != "" {
		return e.WithHint("did you mean %s?", token.Target{Provider: t.Provider, Account: a})
	}
	return e.WithHint("stored accounts: %s", strings.Join(accounts, ", "))
}
