package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

// maxImport bounds what import reads from stdin: a token document is a
// few KiB at most.
const maxImport = 1 << 20

func newImportCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "import TARGET",
		Short: "Store a refresh token or token JSON document read from stdin",
		Long: `import reads, on stdin, a refresh token or a token JSON document
({"access_token","refresh_token","expires_in" or "expiry","token_type","scope"})
and stores it as TARGET's login: for a CI secret that holds a long-lived
refresh token. A bare refresh token, or a document whose access token has
run out, is refreshed at once to check it. The token is never read from the
command line, where other users could see it.`,
		Example: `  tok import github < token.json
  printf %s "$REFRESH_TOKEN" | tok import google:ci`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return tokerr.New(tokerr.Usage, "tok import reads the token on stdin, never from the command line, where other users can see it").
					WithHint("run: tok import %s < FILE", args[0])
			}
			return usageArgs(1, "a TARGET (PROVIDER[:ACCOUNT] or an MCP server URL)")(cmd, args)
		},
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), a, args[0])
		},
	}
}

func runImport(ctx context.Context, a *App, arg string) error {
	t, p, err := a.resolver().Resolve(ctx, arg)
	if err != nil {
		return err
	}
	if p.Flow == config.FlowClientCredentials {
		return tokerr.New(tokerr.Usage, "provider %s uses client_credentials: tok fetches its tokens itself, there is nothing to import", p.Name)
	}
	raw, err := a.readImport(ctx)
	if err != nil {
		return err
	}
	rec, err := parseImport(raw, p.Scopes, a.Now())
	if err != nil {
		return err
	}
	if err := a.mcpClient(ctx, p); err != nil {
		return err
	}
	md, err := a.discoverer().Endpoints(ctx, p)
	if err != nil {
		return err
	}
	token.Bind(rec, p, md)
	usable := importUsable(rec, a.Now(), a.cfg.MinTTL)
	if !usable && !rec.Refreshable() {
		return tokerr.New(tokerr.LoginNeeded, "the imported access token has run out and there is no refresh token: nothing to store").
			WithHint("run: tok login %s", t)
	}
	m, err := a.manager()
	if err != nil {
		return err
	}
	// Unless usable, check the refresh token now rather than at the first
	// print, and get an access token; on refusal the previous login comes
	// back.
	// Who it is, as login finds out (README "status: who is logged in"):
	// from the tokens that end up stored, never failing the import.
	identify := func(ctx context.Context, rec *store.Record) { a.recordIdentity(ctx, p, md, rec) }
	if rec, err = m.Import(ctx, t, p, rec, !usable, identify); err != nil {
		return importRefused(t, err)
	}
	a.note("imported %s (scopes: %s; %s)", t, scopeList(rec.Scopes), lifetime(rec, a.Now()))
	return nil
}

// importUsable reports whether the imported access token can be handed out
// as it is. One of unknown lifetime is refreshed when it can be.
func importUsable(rec *store.Record, now time.Time, minTTL time.Duration) bool {
	switch {
	case rec.AccessToken == "":
		return false
	case rec.Expiry.IsZero():
		return !rec.Refreshable()
	}
	return rec.TTL(now) > minTTL
}

// importRefused says that the provider refused the imported token,
// without the "run tok login" framing of a lost login.
func importRefused(t token.Target, err error) error {
	var ee *flow.EndpointError
	if tokerr.ExitCode(err) == int(tokerr.LoginNeeded) && errors.As(err, &ee) {
		return (&tokerr.Error{Code: tokerr.LoginNeeded, Msg: "the provider rejected the imported refresh token for " + t.String() + ", nothing was stored", Err: ee}).
			WithHint("check the token, or run: tok login %s", t)
	}
	return err
}

// readImport reads the token from stdin: piped, or typed or pasted at a
// terminal without echo.
func (a *App) readImport(ctx context.Context) (string, error) {
	if isTerminal(a.Stdin) {
		t, err := openTTY()
		if err != nil {
			return "", tokerr.New(tokerr.Usage, "stdin is a terminal: pipe the token into tok import instead")
		}
		defer t.Close()
		return readSecret(ctx, t, prompt("paste the refresh token or token JSON (one line, not shown), then Enter: "))
	}
	if a.Stdin == nil {
		return "", nil
	}
	b, err := io.ReadAll(io.LimitReader(a.Stdin, maxImport+1))
	if err != nil {
		return "", fmt.Errorf("reading stdin: %w", err)
	}
	if len(b) > maxImport {
		return "", tokerr.New(tokerr.Usage, "stdin holds more than %d KiB: that is no token", maxImport>>10)
	}
	return string(b), nil
}
