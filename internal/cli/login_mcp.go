package cli

import (
	"context"
	"errors"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

// loginMCP logs in to an MCP server: discovery from the server, scopes,
// a client (configured, metadata document or registration), then the
// browser flow with the resource parameter. What it learnt is remembered
// in the state dir so the server works as a provider by name.
func (a *App) loginMCP(ctx context.Context, t token.Target, p *provider.Provider, opts *loginOptions) error {
	opts.targetName = t.String()
	// --timeout bounds the whole flow, a passphrase asked on the
	// terminal (for the stored registrations) included.
	fctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	hc := a.httpClient()
	d, err := mcp.Discover(fctx, hc, p.MCP)
	if err != nil {
		return flowFailed(ctx, fctx, tokerr.Wrap(tokerr.Failure, err, "login to %s", p.MCP), t, opts.Timeout)
	}
	md := d.Metadata
	if a.cfg.Providers[t.Provider].Resource == "" {
		p.Resource = d.Resource
	}
	m, err := a.manager()
	if err != nil {
		return err
	}
	clients := &mcp.Clients{HTTP: hc, Store: m.Store, Now: a.Now}
	cl, err := clients.Choose(fctx, md, mcp.Want{
		ID: p.ClientID, Secret: p.ClientSecret, AuthMethod: p.TokenAuthMethod, RedirectPort: p.RedirectPort,
		MetadataURL: a.cfg.ClientMetadataURL, Known: a.knownRedirects(md.Issuer, t.Provider),
	})
	if err != nil {
		return flowFailed(ctx, fctx, noClientHint(err, t.Provider), t, opts.Timeout)
	}
	scopes := a.mcpScopes(p, d, opts)
	tok, err := a.mcpFlow(fctx, p, md, cl, scopes, opts)
	if err != nil && cl.Reused && rejectedClient(err) {
		// The server forgot the stored registration: replace it, once.
		a.note("%s no longer knows tok's client registration: registering again", md.Issuer)
		if cl, err = clients.Replace(ctx, md, cl); err == nil {
			tok, err = a.mcpFlow(fctx, p, md, cl, scopes, opts)
		}
	}
	if err != nil {
		return flowFailed(ctx, fctx, err, t, opts.Timeout)
	}
	rec, err := loginRecord(tok, scopes, md, cl.ID, p, a.Now())
	if err != nil {
		return err
	}
	a.recordIdentity(ctx, p, md, rec)
	if err := m.Login(ctx, t, rec, remembered(t.Provider, d, cl, rec.Scopes, a.Now())); err != nil {
		return err
	}
	a.note("logged in to %s as %s (scopes: %s; %s)", d.ServerURL, t, scopeList(rec.Scopes), lifetime(rec, a.Now()))
	if h := a.offlineAccessHint(p, scopes, rec); h != "" {
		a.hint("%s", h)
	}
	return nil
}

// mcpScopes are the configured scopes, else the discovered ones. With
// --scope, the scopes granted at the last login are kept: a step-up after
// a 403 insufficient_scope asks for the union.
func (a *App) mcpScopes(p *provider.Provider, d *mcp.Discovery, opts *loginOptions) []string {
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = d.Scopes()
	}
	if len(opts.Scopes) == 0 {
		return scopes
	}
	if s := p.MCPServer; s != nil && s.URL == d.ServerURL {
		scopes = mergeScopes(scopes, s.Scopes)
	}
	return mergeScopes(scopes, opts.Scopes)
}

// mcpFlow runs the browser flow as client cl.
func (a *App) mcpFlow(ctx context.Context, p *provider.Provider, md *provider.Metadata, cl *mcp.Client, scopes []string, opts *loginOptions) (*oauth2.Token, error) {
	q := *p
	q.ClientID, q.ClientSecret, q.TokenAuthMethod, q.RedirectPort = cl.ID, cl.Secret, cl.AuthMethod, cl.RedirectPort
	if q.Flow == config.FlowClientCredentials {
		q.Flow = config.FlowAuto
	}
	fmd := *md
	if cl.Kind != mcp.KindConfigured {
		// tok registers for the authorization code grant only.
		fmd.DeviceAuthURL = ""
	}
	return a.runFlow(ctx, &q, &fmd, scopes, opts)
}

func remembered(name string, d *mcp.Discovery, cl *mcp.Client, granted []string, now time.Time) *provider.MCPServer {
	md := d.Metadata
	s := &provider.MCPServer{
		Name: name, URL: d.ServerURL, Resource: d.Resource, Issuer: md.Issuer,
		AuthURL: md.AuthURL, TokenURL: md.TokenURL, RevocationURL: md.RevocationURL,
		Scopes: granted, ClientKind: cl.Kind, UpdatedAt: now,
	}
	if cl.Kind != mcp.KindConfigured {
		s.ClientID, s.AuthMethod = cl.ID, cl.AuthMethod
	}
	if cl.Kind == mcp.KindRegistered {
		s.RedirectURI, s.HasSecret = cl.RedirectURI, cl.Secret != ""
	}
	return s
}

// rejectedClient reports an error that says the authorization server
// does not know the client: invalid_client or unauthorized_client from the
// token endpoint, or on the redirect (RFC 6749 §4.1.2.1, §5.2).
func rejectedClient(err error) bool {
	var code string
	var ee *flow.EndpointError
	var ae *flow.AuthorizationError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case errors.As(err, &ae):
		code = ae.Code
	}
	return code == "invalid_client" || code == "unauthorized_client"
}

func noClientHint(err error, name string) error {
	var nc *mcp.NoClientError
	if !errors.As(err, &nc) {
		return tokerr.Wrap(tokerr.Failure, err, "login to %s", name)
	}
	e := &tokerr.Error{Code: tokerr.Usage, Err: err}
	if nc.CIMDSupported {
		return e.WithHint("set client_metadata_url in the config file, or %s (%s)", config.KeyPath(name, "client_id"), config.EnvVar(name, "CLIENT_ID"))
	}
	return e.WithHint("register a client with the server's operator and set %s (%s)", config.KeyPath(name, "client_id"), config.EnvVar(name, "CLIENT_ID"))
}
