package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/target"
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
in, granted scopes and when the token expires. It finds them in tok's index
of logins and reads each one's record from the store, so a login the store
does not hold, a refresh the provider rejected or a provider that left the
config is shown as such, with the fix. It never prints a token. --json
prints the same for scripts.`,
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
	// RefreshRejected: the provider refused the refresh token
	// (invalid_grant) when tok last used it; a new login is needed.
	RefreshRejected bool `json:"refresh_rejected,omitempty"`
	// Problem says what is wrong with a login tok's index lists: not in
	// the store, unreadable in the store, provider not configured. Fix
	// says what mends it. Both are empty for a sound login.
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// What status finds wrong with a listed login (README "status").
const (
	problemMissing      = "not in the store"
	problemUnreadable   = "unreadable in the store"
	problemUnconfigured = "provider not configured"
)

// runStatus lists the logins of tok's index as the store holds them: each
// login's record is read once (status is not a hot path), so a login the
// store no longer holds is shown as such, never as current.
func runStatus(ctx context.Context, a *App, opts *statusOptions) error {
	r := a.resolver()
	entries, err := r.Stored(ctx)
	if err != nil {
		return err
	}
	entries = append(entries, a.unreadableIndexLogins(entries)...)
	var t token.Target
	if opts.Target != "" {
		if t, err = statusTarget(ctx, r, opts.Target); err != nil {
			return err
		}
		all := entries
		entries = filterEntries(entries, t)
		if len(entries) == 0 {
			return noSuchLogin(t, all)
		}
	}
	out := a.checkedEntries(ctx, r, entries)
	if opts.Target != "" && out[0].Problem == problemMissing {
		return tokerr.LoginNeededFor(t.String(), fmt.Errorf("tok's index lists it, but the %s store holds nothing for it", a.storeName())).
			WithHint("run: tok login %s, or tok logout %s --no-revoke to drop the entry", t, t)
	}
	if opts.JSON {
		return writeJSON(a.Stdout, out)
	}
	if len(out) == 0 {
		a.note("no logins yet: run tok login PROVIDER")
		return nil
	}
	return a.statusTable(out)
}

// statusTarget resolves status's TARGET. A login whose provider left the
// config is still shown: status says what is stored.
func statusTarget(ctx context.Context, r *target.Resolver, arg string) (token.Target, error) {
	t, _, err := r.Resolve(ctx, arg)
	var gone *target.UnconfiguredError
	if errors.As(err, &gone) {
		return gone.Target, nil
	}
	return t, err
}

func (a *App) statusTable(out []statusEntry) error {
	noted := slices.ContainsFunc(out, func(e statusEntry) bool { return e.Problem != "" || e.RefreshRejected })
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	header := "TARGET\tIDENTITY\tSCOPES\tEXPIRES\tREFRESH"
	if noted {
		header += "\tNOTE"
	}
	fmt.Fprintln(tw, header)
	for _, e := range out {
		expires, refresh, note := relExpiry(e, a.Now()), yesNo(e.Refreshable), e.Problem
		switch {
		case e.Problem == problemMissing || e.Problem == problemUnreadable:
			expires, refresh = "-", "-"
		case e.RefreshRejected:
			refresh, note = "rejected", "run: tok login "+e.Target
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", e.Target, shownIdentity(e.Identity), scopeList(e.Scopes), expires, refresh)
		if noted {
			line += "\t" + note
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range out {
		if e.Problem != "" {
			a.warn("%s: %s; %s", e.Target, e.Problem, e.Fix)
		}
	}
	return nil
}

// checkedEntries reads each listed login's record from the store and
// shows it as stored. A store that cannot be read (keyring unreachable, no
// file-store key) is said on stderr, and the rest is shown from the index.
func (a *App) checkedEntries(ctx context.Context, r *target.Resolver, entries []store.Entry) []statusEntry {
	st, unavailable := a.store()
	out := make([]statusEntry, 0, len(entries))
	for _, e := range entries {
		t := target.EntryTarget(e)
		se := newStatusEntry(e, a.Now())
		if unavailable == nil {
			rec, err := st.Load(ctx, e.Provider, e.Account)
			switch {
			case err == nil:
				fresh := st.EntryOf(e.Provider, e.Account, rec)
				fresh.RefreshRejectedAt = e.RefreshRejectedAt
				se = newStatusEntry(fresh, a.Now())
			case errors.Is(err, store.ErrNotFound):
				se.Problem, se.Fix = problemMissing, fmt.Sprintf("run tok login %s, or tok logout %s --no-revoke to drop the entry", t, t)
			case tokerr.ExitCode(err) == int(tokerr.StoreUnavailable):
				unavailable = err
			default:
				se.Problem, se.Fix = problemUnreadable, "run tok login "+t.String()
			}
		}
		p, err := r.Provider(e.Provider)
		if se.Problem == "" && isUnknownProvider(err) {
			se.Problem = problemUnconfigured
			se.Fix = fmt.Sprintf("add providers.%s back to the config file, or forget the login: tok logout %s --no-revoke", e.Provider, t)
		}
		if err == nil && p.Flow == config.FlowClientCredentials {
			// Client credentials renew with the client secret, no
			// refresh token needed (README "Logging in").
			se.Refreshable = true
		}
		out = append(out, se)
	}
	if unavailable != nil {
		a.warn("cannot read the token store (%s): logins are listed from tok's index, unchecked", oneLine(unavailable.Error()))
	}
	return out
}

func isUnknownProvider(err error) bool {
	var unknown *provider.UnknownError
	return errors.As(err, &unknown)
}

// unreadableIndexLogins warns about index files that cannot be read, and
// returns the logins they stand for that the index does not list
// otherwise, for status to look them up in the store. A fleet's index
// (etcd) has no files.
func (a *App) unreadableIndexLogins(listed []store.Entry) []store.Entry {
	if a.Backend == nil && a.cfg.Store == "etcd" {
		return nil
	}
	idx := store.NewIndex(a.cfg.StateDir)
	_, bad, err := idx.Scan()
	if err != nil {
		return nil
	}
	var out []store.Entry
	for _, name := range bad {
		path := filepath.Join(idx.Dir, name)
		p, acct, ok := store.EntryLogin(name)
		if !ok {
			a.warn("login index file %s is unreadable and names no login: remove it", path)
			continue
		}
		t := target.Target{Provider: p, Account: acct}
		a.warn("login index file %s (%s) is unreadable: status shows what the store holds; the next login or refresh of %s rewrites it", path, t, t)
		if !slices.ContainsFunc(listed, func(e store.Entry) bool { return e.Provider == p && e.Account == acct }) {
			out = append(out, store.Entry{Provider: p, Account: acct, Store: a.storeName()})
		}
	}
	return out
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
	s.RefreshRejected = !e.RefreshRejectedAt.IsZero()
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
	if e.Expiry.Sub(now) <= 0 && e.Refreshable && !e.RefreshRejected && e.Problem == "" {
		// tok's own runs (narrowed tokens) leave the login's access
		// token to expire: its next use renews it.
		rel += ", renews on use"
	}
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

// storeName is the name of the store tok is set to use: keyring, file or
// etcd.
func (a *App) storeName() string {
	switch {
	case a.Backend != nil:
		return a.Backend.Name()
	case a.cfg.Store == "":
		return "keyring"
	}
	return a.cfg.Store
}
