package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/atomicfile"
	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/gitcred"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

// defaultGitUsername goes with the token when the provider names none
// (git_username); GitHub's preset says x-access-token.
const defaultGitUsername = "oauth2"

func newGitCredentialCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "git-credential get|store|erase",
		Short: "Answer git's credential requests with fresh tokens",
		Long: `git-credential is a git credential helper (git-credential(1)): git writes
key=value lines on its standard input. get answers with username and a fresh
access token of the provider whose hosts setting holds the requested host
(presets: github -> github.com, gitlab -> gitlab.com); a host no provider
holds gets no answer, so git asks its next helper. erase, which git sends
after the server refused the token, makes the next get refresh first.
store does nothing: tok keeps its own tokens. Any other operation (newer
git sends capability) is ignored: no output, exit 0.`,
		Example:   `  git config --global credential.https://github.com.helper '!tok git-credential'`,
		Args:      usageArgs(1, "get, store or erase"),
		ValidArgs: []string{"get", "store", "erase"},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "get", "store", "erase":
				return runGitCredential(cmd.Context(), a, args[0])
			}
			// gitcredentials(7): a helper silently ignores any other
			// operation (newer git sends more, such as capability); the
			// request is read so git never writes into a closed pipe.
			_, _ = io.Copy(io.Discard, a.Stdin)
			return nil
		},
	}
}

func runGitCredential(ctx context.Context, a *App, op string) error {
	req, err := gitcred.Parse(a.Stdin)
	if err != nil {
		return tokerr.Wrap(tokerr.Usage, err, "git-credential")
	}
	if op == "store" {
		return nil
	}
	t, p, err := a.gitTarget(ctx, req)
	if err != nil || p == nil {
		return err
	}
	if op == "erase" {
		return a.markRejected(req.Password)
	}
	rec, err := a.gitToken(ctx, t, p)
	if err != nil {
		a.refused("git-credential", t.String(), err)
		return err
	}
	username := p.GitUsername
	if username == "" {
		username = defaultGitUsername
	}
	if err := (&gitcred.Answer{Username: username, Password: rec.AccessToken, Expiry: rec.Expiry}).Write(a.Stdout); err != nil {
		return err
	}
	a.handedOut("git-credential", t, rec, "")
	return nil
}

// gitTarget finds the login that answers req among the providers whose
// hosts hold its host: PROVIDER:USER when the URL names a user with a
// stored login of that account (https://work@github.com/...), else the
// first default login. A nil provider means "not ours": git then asks its
// next helper.
func (a *App) gitTarget(ctx context.Context, req *gitcred.Request) (token.Target, *provider.Provider, error) {
	var none token.Target
	if req.Host == "" {
		return none, nil, nil
	}
	var claimed []*provider.Provider
	r := a.resolver()
	for _, name := range r.Providers() {
		p, err := r.Provider(name)
		if err == nil && answersHost(p.Hosts, req) {
			claimed = append(claimed, p)
		}
	}
	if len(claimed) == 0 {
		return none, nil, nil
	}
	// A token never crosses a network in clear text: plain http only to
	// this machine.
	if req.Protocol != "https" && !(req.Protocol == "http" && provider.IsLoopback(req.HostName())) {
		a.note("not answering git for %s://%s: tokens go over https only", req.Protocol, req.Host)
		return none, nil, nil
	}
	entries, _ := r.Stored(ctx)
	stored := func(t token.Target) bool {
		return slices.ContainsFunc(entries, func(e store.Entry) bool { return e.Provider == t.Provider && e.Account == t.Account })
	}
	for _, account := range []string{req.Username, token.DefaultAccount} {
		for _, p := range claimed {
			if t := (token.Target{Provider: p.Name, Account: account}); account != "" && stored(t) {
				return t, p, nil
			}
		}
	}
	a.note("%s answers %s but has no login: run tok login %s", claimed[0].Name, req.Host, claimed[0].Name)
	return none, nil, nil
}

// answersHost matches a request's host against a provider's hosts: the
// same host and port, or the same host when the setting names no port.
func answersHost(hosts []string, req *gitcred.Request) bool {
	for _, h := range hosts {
		if strings.EqualFold(h, req.Host) || (!strings.Contains(h, ":") && strings.EqualFold(h, req.HostName())) {
			return true
		}
	}
	return false
}

// gitToken is t's fresh token; when git reported that very token refused
// (erase), it is refreshed first.
func (a *App) gitToken(ctx context.Context, t token.Target, p *provider.Provider) (*store.Record, error) {
	rec, err := a.fresh(ctx, t, p, a.cfg.MinTTL)
	if err != nil {
		return nil, err
	}
	mark := a.rejectedMark(rec.AccessToken)
	if _, err := os.Stat(mark); err != nil {
		return rec, nil
	}
	os.Remove(mark)
	m, err := a.manager()
	if err != nil {
		return nil, err
	}
	return m.Refresh(ctx, t, p)
}

// markRejected remembers that git saw password refused. The mark is named
// by the token's digest, never the token, so that it fits whichever
// account handed the token out: git's erase carries the username tok
// answered, not the account.
func (a *App) markRejected(password string) error {
	if password == "" {
		return nil
	}
	mark := a.rejectedMark(password)
	forgetOldMarks(filepath.Dir(mark), a.Now())
	if err := os.MkdirAll(filepath.Dir(mark), 0o700); err != nil {
		return fmt.Errorf("cannot note the refused token: %w", err)
	}
	if err := atomicfile.Write(filepath.Dir(mark), filepath.Base(mark), nil); err != nil {
		return fmt.Errorf("cannot note the refused token: %w", err)
	}
	return nil
}

// rejectedMark is STATE/git-rejected/DIGEST for a token (audit.TokenID).
func (a *App) rejectedMark(tok string) string {
	return filepath.Join(a.cfg.StateDir, "git-rejected", audit.TokenID(tok))
}

// markLife bounds how long a refused token's mark is kept: a token that
// was refused is not handed out again for long, whether tok refreshed it
// or the login ended.
const markLife = 24 * time.Hour

// forgetOldMarks removes the marks of tokens refused more than markLife
// ago, so the directory does not grow with tokens never asked for again.
func forgetOldMarks(dir string, now time.Time) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > markLife {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
