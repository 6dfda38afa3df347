package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/target"
	"github.com/tok-cli/tok/internal/token"
)

// auditLog is STATE/audit.jsonl (README "Audit log"), one per App.
func (a *App) auditLog() *audit.Log {
	if a.audit == nil && a.cfg != nil {
		a.audit = &audit.Log{Path: filepath.Join(a.cfg.StateDir, audit.FileName), Now: a.Now, Warn: a.warnLine}
	}
	return a.audit
}

// handedOut records that verb gave rec's access token to a process;
// argv0 is the command exec ran, "" otherwise.
func (a *App) handedOut(verb string, t token.Target, rec *store.Record, argv0 string) {
	a.auditLog().Write(audit.Entry{
		Event: audit.EventHandout, Verb: verb, Target: t.String(), Scopes: rec.Scopes,
		Expiry: rec.Expiry, TokenSHA256: audit.TokenID(rec.AccessToken), Argv0: argv0,
	})
}

// refused records a hand-out that did not happen and why. Errors never
// carry a secret (README "Promises"), so the reason is the message. A
// token the provider issued and tok refused (broader than asked) is
// identified by its digest. An interruption (Ctrl-C, SIGTERM, SIGHUP, a
// --serve client gone) refused nothing and is no line: a refresh finished
// before stopping has its own (README "Audit log").
func (a *App) refused(verb, target string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	e := audit.Entry{Event: audit.EventRefusal, Verb: verb, Target: target, Reason: auditReason(err)}
	var broad *token.NotNarrowedError
	if errors.As(err, &broad) {
		e.TokenSHA256 = broad.TokenSHA256
	}
	a.auditLog().Write(e)
}

// auditReason is err as the one line a refusal gives, with Go's words for
// a deadline put as tok says it.
func auditReason(err error) string {
	return strings.ReplaceAll(oneLine(err.Error()), context.DeadlineExceeded.Error(), "timed out")
}

type auditOptions struct {
	Target string
	Since  time.Duration
	JSON   bool
}

func newAuditCmd(a *App) *cobra.Command {
	opts := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [TARGET] [--since D] [--json]",
		Short: "Show which process took which token, and login events (never a token)",
		Long: `audit reads STATE/audit.jsonl: one line per token handed out (print, exec,
--serve answers, --token-files writes, credential helpers) and per refresh,
login, logout, revocation and refusal. A token is identified by the first 12
hex digits of its SHA-256, never by itself.`,
		Example:           "  tok audit github --since 24h\n  tok audit --json | jq 'select(.event == \"handout\")'",
		Args:              maxArgs(1, "one TARGET"),
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Target = args[0]
			}
			return runAudit(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Since, "since", 0, "only entries of the last D (like 1h or 30m)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "one JSON object per line, for scripts")
	return cmd
}

func runAudit(ctx context.Context, a *App, opts *auditOptions) error {
	f := audit.Filter{}
	if opts.Target != "" {
		t, err := target.Parse(opts.Target)
		if err != nil {
			return err
		}
		if t.URL != "" {
			if t, _, err = a.resolver().Resolve(ctx, opts.Target); err != nil {
				return err
			}
		}
		f.Target = t.String()
	}
	if opts.Since > 0 {
		f.Since = a.Now().Add(-opts.Since)
	}
	path := a.auditLog().Path
	entries, skipped, err := audit.Read(path, f)
	if err != nil {
		return fmt.Errorf("cannot read the audit log: %w", err)
	}
	if skipped > 0 {
		a.warn("%d lines of %s are not audit entries; skipped", skipped, path)
	}
	if opts.JSON {
		enc := json.NewEncoder(a.Stdout)
		for i := range entries {
			if err := enc.Encode(&entries[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if len(entries) == 0 {
		a.note("no audit entries")
		return nil
	}
	return writeAuditTable(a, entries)
}

func writeAuditTable(a *App, entries []audit.Entry) error {
	tw := tabwriter.NewWriter(a.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tVERB\tTARGET\tSCOPES\tTOKEN\tPROCESS\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			e.Time.Local().Format(time.DateTime), e.Event, dash(e.Verb), dash(safe(e.Target)),
			dash(safe(strings.Join(e.Scopes, " "))), dash(e.TokenSHA256), processColumn(e), dash(safe(detail(e))))
	}
	return tw.Flush()
}

// processColumn names who asked: the parent (the caller of tok) and pid.
func processColumn(e audit.Entry) string {
	if e.Parent == "" {
		return fmt.Sprintf("ppid %d", e.PPID)
	}
	return fmt.Sprintf("%s (%d)", safe(e.Parent), e.PPID)
}

func detail(e audit.Entry) string {
	switch {
	case e.Reason != "":
		return e.Reason
	case e.Argv0 != "":
		return "ran " + e.Argv0
	}
	return e.Cwd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// safe keeps a field read from the file to one line without terminal
// escapes: the file is outside input.
func safe(s string) string { return oneLine(strings.ReplaceAll(s, "\t", " ")) }
