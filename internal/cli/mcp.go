package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/tokerr"
)

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
