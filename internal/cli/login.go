package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

type loginOptions struct {
	Target    string
	Browser   bool
	Device    bool
	NoBrowser bool
	Scopes    []string
	Timeout   time.Duration
	Name      string // provider name for an MCP server URL

	targetName string // the resolved target, for the browser's pages
}

func newLoginCmd(a *App) *cobra.Command {
	opts := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login TARGET",
		Short: "Log in with a consent flow and store the token",
		Long: `login runs a consent flow with TARGET's provider and stores the tokens in
the keyring (or the file store). --browser and --device choose the flow,
else the provider's flow setting does; with auto (the default) tok uses the
browser flow where a browser can open and the device flow where not (CI, an
SSH session, Linux without a display), and says which on stderr. The browser flow uses PKCE and a loopback redirect;
--no-browser prints the URL instead of opening it, and accepts the address
the browser ended on pasted on stdin. The device flow prints a URL and a
code to enter on any other device. An MCP server's URL as TARGET discovers
its authorization server and registers tok as a client when needed.
On success tok prints one line on stderr: target, scopes, lifetime.`,
		Example: `  tok login github
  tok login github:work --scope repo
  tok login google --device
  tok login dex --no-browser              # over SSH: open the URL elsewhere
  tok login https://mcp.example.com/mcp --name tools`,
		Args:              usageArgs(1, "a TARGET (PROVIDER[:ACCOUNT] or an MCP server URL)"),
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			if opts.Browser && opts.Device {
				return tokerr.New(tokerr.Usage, "--browser and --device exclude each other")
			}
			if opts.Timeout <= 0 {
				return tokerr.New(tokerr.Usage, "--timeout must be positive")
			}
			return runLogin(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Browser, "browser", false, "use the browser flow (authorization code with PKCE)")
	f.BoolVar(&opts.Device, "device", false, "use the device flow (a code to enter on another device)")
	f.BoolVar(&opts.NoBrowser, "no-browser", false, "print the URL instead of opening a browser")
	f.StringArrayVar(&opts.Scopes, "scope", nil, "add a scope to the configured ones (repeatable)")
	f.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "give up when the login is not completed in this time")
	f.StringVar(&opts.Name, "name", "", "provider name for an MCP server URL (default: from its host)")
	return cmd
}

func runLogin(ctx context.Context, a *App, opts *loginOptions) error {
	t, p, err := a.resolver().ResolveForLogin(ctx, opts.Target, opts.Name)
	if err != nil {
		return err
	}
	// A server given by URL, or an MCP provider, is discovered from the
	// server, unless the config names its authorization server itself.
	if t.URL != "" || p.MCPServer != nil || (p.MCP != "" && p.Issuer == "" && p.TokenURL == "") {
		return a.loginMCP(ctx, t, p, opts)
	}
	if err := p.RequireClientID(); err != nil {
		return err
	}
	opts.targetName = t.String()
	// --timeout bounds the whole flow (README "login"), from discovery
	// and a passphrase asked on the terminal on.
	fctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	md, err := a.discoverer().Endpoints(fctx, p)
	if err != nil {
		return flowFailed(ctx, fctx, err, t, opts.Timeout)
	}
	m, err := a.manager()
	if err != nil {
		return err
	}
	if err := m.CheckWritable(fctx, t); err != nil {
		return flowFailed(ctx, fctx, err, t, opts.Timeout)
	}
	scopes := mergeScopes(p.Scopes, opts.Scopes)
	tok, err := a.runFlow(fctx, p, md, scopes, opts)
	if err != nil {
		return flowFailed(ctx, fctx, err, t, opts.Timeout)
	}
	rec, err := loginRecord(tok, scopes, md, p.ClientID, p, a.Now())
	if err != nil {
		return err
	}
	a.recordIdentity(ctx, p, md, rec)
	if err := m.Login(ctx, t, rec, nil); err != nil {
		return err
	}
	a.note("logged in to %s (scopes: %s; %s)", t, scopeList(rec.Scopes), lifetime(rec, a.Now()))
	if h := a.offlineAccessHint(p, scopes, rec); h != "" {
		a.hint("%s", h)
	}
	return nil
}

// offlineAccessHint is the hint for a login that asked for offline_access
// and got no refresh token, "" otherwise. OpenID Connect Core §11 lets a
// provider grant offline_access only after an explicit consent, and some
// (node oidc-provider) grant it only when the request has prompt=consent.
// An MCP server known by its URL alone has no config entry to set
// auth_params on: the hint gives the whole entry (README "MCP servers").
func (a *App) offlineAccessHint(p *provider.Provider, asked []string, rec *store.Record) string {
	if rec.Refreshable() || !slices.Contains(asked, "offline_access") {
		return ""
	}
	const why = "the provider did not grant offline_access; some providers grant it only with prompt=consent"
	key := config.KeyPath(p.Name, "auth_params")
	_, inFile := a.cfg.Providers[p.Name]
	switch {
	case p.AuthParams["prompt"] == "consent":
		return fmt.Sprintf("the provider did not grant offline_access, even with prompt=consent: check that the provider lets client %s use refresh tokens", rec.ClientID)
	case p.MCP != "" && !inFile:
		file := a.cfg.File
		if file == "" {
			file, _ = a.configFile()
		}
		return fmt.Sprintf("%s: add to %s: providers: {%s: {mcp: %s, auth_params: {prompt: consent}}}", why, file, p.Name, p.MCP)
	case len(p.AuthParams) > 0:
		return fmt.Sprintf("%s: add prompt: consent to %s", why, key)
	}
	return fmt.Sprintf("%s: set %s: {prompt: consent}", why, key)
}

// flowFailed says when the login's own --timeout ended the flow, with the
// fix; other errors pass as they are.
func flowFailed(ctx, flowCtx context.Context, err error, t token.Target, timeout time.Duration) error {
	if ctx.Err() == nil && flowCtx.Err() != nil {
		return tokerr.New(tokerr.Failure, "login to %s timed out after %s", t, timeout).WithHint("run tok login %s again, or give it more time with --timeout", t)
	}
	return err
}

// loginRecord checks a consent flow's token and makes the stored record,
// tied to the issuer, token endpoint and client that obtained it.
func loginRecord(tok *oauth2.Token, scopes []string, md *provider.Metadata, clientID string, p *provider.Provider, now time.Time) (*store.Record, error) {
	if err := flow.CheckBearer(tok); err != nil {
		return nil, err
	}
	rec := token.RecordFrom(tok, scopes, now)
	rec.Issuer, rec.ClientID, rec.TokenOrigin = md.Issuer, clientID, token.TokenOrigin(md.TokenURL)
	rec.RevocationOrigin = token.TokenOrigin(md.RevocationURL)
	token.AssumeExpiry(rec, p)
	return rec, nil
}

func (a *App) runFlow(ctx context.Context, p *provider.Provider, md *provider.Metadata, scopes []string, opts *loginOptions) (*oauth2.Token, error) {
	// Chosen first: where no browser can open, auto may turn on
	// --no-browser.
	kind := a.chooseFlow(p, md, opts)
	if kind == config.FlowDevice && md.DeviceAuthURL == "" {
		return nil, noDeviceEndpoint(p, md, opts)
	}
	if kind == config.FlowBrowser && (md.AuthURL == "" || md.TokenURL == "") {
		return nil, noBrowserEndpoint(p, md)
	}
	req := flow.Request{
		OAuth:        *token.OAuthConfig(p, md, scopes),
		Issuer:       md.Issuer,
		RequireIss:   md.IssParameterSupported,
		AuthParams:   p.AuthParams,
		RedirectPort: p.RedirectPort,
		NoBrowser:    opts.NoBrowser,
		Stdin:        a.Stdin,
		ShowURL:      a.showAuthURL,
		HTTPClient:   a.httpClient(),
		Note:         a.noteLine,
		Warn:         a.warnLine,
		DisplayCode:  (&deviceDisplay{w: a.Stderr, term: a.stderrTerminal(), now: a.Now}).show,
		Target:       opts.targetName,
		Provider:     p.Name,
	}
	if res := token.Resource(p); res != "" {
		req.AuthParams = withParam(req.AuthParams, "resource", res)
	}
	req.TokenParams = token.TokenParams(p)
	if !opts.NoBrowser {
		req.OpenBrowser = a.OpenBrowser
	}
	var tok *oauth2.Token
	var err error
	switch kind {
	case config.FlowClientCredentials:
		tok, err = flow.ClientCredentials(ctx, req)
	case config.FlowDevice:
		tok, err = flow.Device(ctx, req)
	default:
		tok, err = flow.Browser(ctx, req)
	}
	// A refusal's hint names this provider's settings.
	return tok, flow.ByProvider(p.Name, err)
}

// mergeScopes appends extra to base without duplicates.
func mergeScopes(base, extra []string) []string {
	out := slices.Clone(base)
	for _, s := range extra {
		for _, f := range strings.Fields(s) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func withParam(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

func scopeList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

func lifetime(rec *store.Record, now time.Time) string {
	refresh := "no refresh token"
	if rec.Refreshable() {
		refresh = "refreshable"
	}
	switch {
	case rec.ExpiryUnknown && rec.Expiry.IsZero():
		return "lifetime unknown: used until the provider rejects it"
	case rec.ExpiryUnknown:
		return fmt.Sprintf("lifetime unknown, renewed in %s (default_ttl)", rec.Expiry.Sub(now).Round(time.Second))
	case rec.Expiry.IsZero():
		return "does not expire"
	}
	return fmt.Sprintf("expires in %s, %s", rec.Expiry.Sub(now).Round(time.Second), refresh)
}

// noDeviceEndpoint is the usage error for a device flow asked of a
// provider without a device authorization endpoint (RFC 8628 §4): it names
// the provider, why, and the settings that fix it.
func noDeviceEndpoint(p *provider.Provider, md *provider.Metadata, opts *loginOptions) error {
	why := "it has no device_auth_url"
	switch {
	case p.MCP != "":
		why = "tok registers with MCP servers for the browser flow only"
	case md.Issuer != "":
		why = "the metadata of " + md.Issuer + " names none, and no device_auth_url is set"
	}
	e := tokerr.New(tokerr.Usage, "provider %s has no device authorization endpoint: %s", p.Name, why)
	browser := "log in with the browser flow: tok login " + opts.targetName + " --browser (add --no-browser on a machine without one, and open the URL elsewhere)"
	if !opts.Device {
		browser = "set " + config.KeyPath(p.Name, "flow") + ": browser in the config file"
	}
	if p.MCP != "" {
		return e.WithHint("%s", browser)
	}
	return e.WithHint("%s, or set %s if the provider has one", browser, config.KeyPath(p.Name, "device_auth_url"))
}

// noBrowserEndpoint is the usage error for a browser flow asked of a
// provider without an authorization or token endpoint (RFC 6749 §3): it
// names the provider and the settings that fix it.
func noBrowserEndpoint(p *provider.Provider, md *provider.Metadata) error {
	missing, key := "authorization", "auth_url"
	if md.AuthURL != "" {
		missing, key = "token", "token_url"
	}
	why := "it has no " + key
	if md.Issuer != "" {
		why = "the metadata of " + md.Issuer + " names none, and no " + key + " is set"
	}
	e := tokerr.New(tokerr.Usage, "provider %s has no %s endpoint for the browser flow: %s", p.Name, missing, why)
	if md.Issuer != "" || key == "token_url" {
		return e.WithHint("set %s in the config file", config.KeyPath(p.Name, key))
	}
	return e.WithHint("set %s, or %s for discovery, in the config file (or %s); a client without a user takes %s: client_credentials",
		config.KeyPath(p.Name, key), config.KeyPath(p.Name, "issuer"), config.EnvVar(p.Name, "AUTH_URL"), config.KeyPath(p.Name, "flow"))
}
