package token

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
)

// OAuthConfig builds the x/oauth2 config for p at md's endpoints.
func OAuthConfig(p *provider.Provider, md *provider.Metadata, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: p.ClientSecret,
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:       md.AuthURL,
			TokenURL:      md.TokenURL,
			DeviceAuthURL: md.DeviceAuthURL,
			AuthStyle:     AuthStyle(p),
		},
	}
}

// AuthStyle is fixed rather than auto-detected: auto-detection retries a
// failed request with the other style, which would send a rotating
// refresh token twice.
func AuthStyle(p *provider.Provider) oauth2.AuthStyle {
	if p.ClientSecret == "" {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// Resource is the RFC 8707 resource indicator sent for p, "" for none.
func Resource(p *provider.Provider) string {
	switch {
	case p.Resource == "-":
		return ""
	case p.Resource != "":
		return p.Resource
	default:
		return p.MCP
	}
}

// clientContext carries the HTTP client x/oauth2 must use. x/oauth2 has
// no option for extra refresh-request parameters, so the RFC 8707
// resource parameter is added by a transport that only touches requests to
// the token endpoint.
func (m *Manager) clientContext(ctx context.Context, p *provider.Provider, md *provider.Metadata) context.Context {
	hc := m.HTTP
	if res := Resource(p); res != "" {
		hc = WithTokenParams(hc, md.TokenURL, map[string]string{"resource": res})
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// ClientCredentials fetches a token with the client credentials grant
// (RFC 6749 §4.4).
func ClientCredentials(ctx context.Context, p *provider.Provider, md *provider.Metadata) (*oauth2.Token, error) {
	if p.ClientSecret == "" {
		return nil, fmt.Errorf("provider %s uses client_credentials but has no client secret: set TOK_%s_CLIENT_SECRET", p.Name, config.EnvName(p.Name))
	}
	cc := clientcredentials.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, TokenURL: md.TokenURL,
		Scopes: p.Scopes, AuthStyle: oauth2.AuthStyleInHeader,
	}
	tok, err := cc.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("client credentials for %s: %w", p.Name, flow.TokenEndpointError(err))
	}
	return tok, flow.CheckBearer(tok)
}

// RecordFrom turns a token response into a stored record. Scopes come
// from the response when the server says which it granted (RFC 6749 §5.1),
// else they are the requested ones.
func RecordFrom(tok *oauth2.Token, requested []string, now time.Time) *store.Record {
	rec := &store.Record{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    "Bearer",
		Expiry:       tok.Expiry,
		Scopes:       requested,
		ObtainedAt:   now,
	}
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		rec.Scopes = strings.Fields(s)
	}
	if id, ok := tok.Extra("id_token").(string); ok {
		rec.IDToken = id
	}
	return rec
}
