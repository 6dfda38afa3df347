package cli

import (
	"context"
	"fmt"

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
