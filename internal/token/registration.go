package token

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
)

// forgetRejectedClient forgets an MCP client registration the authorization
// server no longer knows (invalid_client, RFC 6749 §5.2), so that the next
// login registers anew instead of sending the user to an error page. The
// caller holds the target's lock.
func (m *Manager) forgetRejectedClient(ctx context.Context, p *provider.Provider, err error) {
	s := p.MCPServer
	var re *oauth2.RetrieveError
	if s == nil || s.ClientKind != mcp.KindRegistered || !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		return
	}
	if (&mcp.Clients{Store: m.Store}).Forget(ctx, s.Issuer, s.RedirectURI) != nil {
		return
	}
	s.ClientKind, s.ClientID, s.RedirectURI, s.AuthMethod, s.HasSecret = "", "", "", "", false
	if provider.SaveMCPServer(m.StateDir, s) == nil {
		m.note("%s no longer knows tok's client registration: the next login registers a new one", s.Issuer)
	}
}

func (m *Manager) note(format string, args ...any) {
	if m.Note != nil {
		m.Note(fmt.Sprintf(format, args...))
	}
}

func (m *Manager) warn(format string, args ...any) {
	if m.Warn != nil {
		m.Warn(fmt.Sprintf(format, args...))
	}
}
