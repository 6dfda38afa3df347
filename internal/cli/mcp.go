package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

// findMCP returns the provider that stands for the MCP server at canon (a
// canonical URL): one configured with mcp: URL, else one remembered from
// an earlier login; "" when there is none.
func (a *App) findMCP(canon string) string {
	names := make([]string, 0, len(a.cfg.Providers))
	for name := range a.cfg.Providers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if u, err := mcp.Canonical(a.cfg.Providers[name].MCP); err == nil && u == canon {
			return name
		}
	}
	for _, s := range provider.MCPServers(a.cfg.StateDir) {
		if s.URL == canon {
			return s.Name
		}
	}
	return ""
}

// resolveMCP resolves an MCP server URL to the provider that stands for
// it. A server tok never logged in to needs a login first.
func (a *App) resolveMCP(t token.Target) (token.Target, *provider.Provider, error) {
	canon, err := mcp.Canonical(t.URL)
	if err != nil {
		return t, nil, tokerr.Wrap(tokerr.Usage, err, "target %s", t.URL)
	}
	name := a.findMCP(canon)
	if name == "" {
		return t, nil, tokerr.LoginNeededFor(t.URL, errors.New("tok has not logged in to this MCP server yet"))
	}
	t.Provider = name
	p, err := provider.Resolve(a.cfg, name, a.LookupEnv)
	return t, p, err
}

// mcpTarget is the target and provider for `tok login URL [--name NAME]`:
// the provider that already stands for the server, or a new one named by
// --name or after the server's host.
func (a *App) mcpTarget(opts *loginOptions) (token.Target, *provider.Provider, error) {
	t, err := token.ParseTarget(opts.Target)
	if err != nil {
		return t, nil, err
	}
	if t.URL == "" {
		return t, nil, tokerr.New(tokerr.Usage, "--name names an MCP server given by URL, not %s", opts.Target).
			WithHint("usage: tok login https://HOST/PATH --name NAME")
	}
	canon, err := mcp.Canonical(t.URL)
	if err != nil {
		return t, nil, tokerr.Wrap(tokerr.Usage, err, "target %s", t.URL)
	}
	known := a.findMCP(canon)
	name := opts.Name
	switch {
	case name == "" && known != "":
		name = known
	case name == "":
		name = provider.MCPName(canon)
	case known != "" && known != name:
		return t, nil, tokerr.New(tokerr.Usage, "%s is already known as provider %s", canon, known).
			WithHint("run: tok login %s", known)
	}
	if nt, err := token.ParseTarget(name); err != nil || nt.Account != token.DefaultAccount || nt.Provider != name {
		return t, nil, tokerr.New(tokerr.Usage, "--name %q is not a provider name (letters, digits, '.', '_', '-')", name)
	}
	if known == "" {
		if other, err := provider.Resolve(a.cfg, name, a.LookupEnv); err == nil {
			if u, _ := mcp.Canonical(other.MCP); u != canon {
				return t, nil, tokerr.New(tokerr.Usage, "provider name %s is taken by another provider", name).
					WithHint("choose another with: tok login %s --name NAME", t.URL)
			}
		}
	}
	p, err := provider.ResolveMCP(a.cfg, name, canon, a.LookupEnv)
	if err != nil {
		return t, nil, err
	}
	t.Provider = name
	return t, p, nil
}

// mcpClient completes an MCP provider with the client its tokens were
// issued to, as remembered at login; a registration's secret comes from
// the token store. A configured client id wins.
func (a *App) mcpClient(ctx context.Context, p *provider.Provider) error {
	s := p.MCPServer
	if s == nil || p.ClientID != "" || s.ClientID == "" {
		return nil
	}
	p.ClientID, p.TokenAuthMethod = s.ClientID, s.AuthMethod
	if !s.HasSecret {
		return nil
	}
	st, err := a.store()
	if err != nil {
		return err
	}
	reg, err := (&mcp.Clients{Store: st}).Load(ctx, s.Issuer, s.RedirectURI)
	if err != nil {
		return tokerr.LoginNeededFor(p.Name, fmt.Errorf("the client registration with %s is gone: %w", s.Issuer, err))
	}
	p.ClientSecret = reg.ClientSecret
	return nil
}

// mcpRefreshFailed forgets a registration the authorization server no
// longer knows (invalid_client), so that the next login registers anew
// instead of sending the user to an error page.
func (a *App) mcpRefreshFailed(ctx context.Context, p *provider.Provider, err error) {
	s := p.MCPServer
	var ee *flow.EndpointError
	if s == nil || s.ClientKind != mcp.KindRegistered || !errors.As(err, &ee) || ee.Code != "invalid_client" {
		return
	}
	st, serr := a.store()
	if serr != nil {
		return
	}
	if (&mcp.Clients{Store: st}).Forget(ctx, s.Issuer, s.RedirectURI) != nil {
		return
	}
	s.ClientKind, s.ClientID, s.RedirectURI, s.AuthMethod, s.HasSecret = "", "", "", "", false
	if provider.SaveMCPServer(a.cfg.StateDir, s) == nil {
		fmt.Fprintf(a.Stderr, "tok: %s no longer knows tok's client registration: the next login registers a new one\n", s.Issuer)
	}
}

// knownRedirects lists the redirect URIs of registrations with issuer
// that earlier logins used, this provider's first.
func (a *App) knownRedirects(issuer, name string) []string {
	var out []string
	for _, s := range provider.MCPServers(a.cfg.StateDir) {
		if s.Issuer != issuer || s.ClientKind != mcp.KindRegistered || s.RedirectURI == "" {
			continue
		}
		if s.Name == name {
			out = append([]string{s.RedirectURI}, out...)
		} else {
			out = append(out, s.RedirectURI)
		}
	}
	return out
}

func isURL(target string) bool {
	t, err := token.ParseTarget(target)
	return err == nil && t.URL != ""
}
