package token

import (
	"context"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/wire"
)

// OAuthConfig builds the x/oauth2 config for p at md's endpoints.
func OAuthConfig(p *provider.Provider, md *provider.Metadata, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: Client(p).OAuthSecret(),
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:       md.AuthURL,
			TokenURL:      md.TokenURL,
			DeviceAuthURL: md.DeviceAuthURL,
			AuthStyle:     Client(p).AuthStyle(),
		},
	}
}

// Client is how tok authenticates as p's client at every endpoint:
// token, device authorization and revocation.
func Client(p *provider.Provider) wire.Client {
	return wire.Client{ID: p.ClientID, Secret: p.ClientSecret, Method: p.TokenAuthMethod}
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
// resource parameter and token_params are added by a transport that only
// touches requests to the token endpoint.
func (m *Manager) clientContext(ctx context.Context, p *provider.Provider, md *provider.Metadata) context.Context {
	hc := m.HTTP
	if params := TokenParams(p); params != nil {
		hc = WithTokenParams(hc, md.TokenURL, params)
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// TokenParams are the extra parameters of every token request for p (code
// exchange, refresh, client credentials, device polls): the RFC 8707
// resource, then the provider's token_params, which win. nil for none.
func TokenParams(p *provider.Provider) map[string]string {
	var params map[string]string
	if res := Resource(p); res != "" {
		params = map[string]string{"resource": res}
	}
	for k, v := range p.TokenParams {
		if params == nil {
			params = map[string]string{}
		}
		params[k] = v
	}
	return params
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
	// Count the lifetime from tok's clock, which tests control, rather
	// than from the wall clock x/oauth2 used (RFC 6749 §5.1 expires_in).
	if secs := expiresIn(tok); secs > 0 {
		rec.Expiry = now.Add(time.Duration(secs) * time.Second)
	} else {
		rec.Expiry, rec.ExpiryUnknown = time.Time{}, true
	}
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		rec.Scopes = strings.Fields(s)
	}
	if id, ok := tok.Extra("id_token").(string); ok {
		rec.IDToken = id
	}
	return rec
}

// expiresIn is the response's expires_in, also where x/oauth2 only kept it
// among the raw fields (the client credentials source drops ExpiresIn).
func expiresIn(tok *oauth2.Token) int64 {
	if tok.ExpiresIn > 0 {
		return tok.ExpiresIn
	}
	secs, _ := wire.ExpiresIn(tok.Extra("expires_in"))
	return secs
}

// AssumeExpiry gives a token whose lifetime the provider did not say the
// provider's default_ttl from when it was obtained, when tok can renew it
// without a person (a refresh token, or client credentials). Other such
// tokens are used until the provider rejects them (README, "Transient
// failures never withhold a valid token").
func AssumeExpiry(rec *store.Record, p *provider.Provider) {
	if !rec.ExpiryUnknown || !rec.Expiry.IsZero() {
		return
	}
	if rec.Refreshable() || p.Flow == config.FlowClientCredentials {
		rec.Expiry = rec.ObtainedAt.Add(DefaultTTL(p))
	}
}

// DefaultTTL is p's default_ttl, config.DefaultTokenTTL when unset.
func DefaultTTL(p *provider.Provider) time.Duration {
	if p.DefaultTTL > 0 {
		return p.DefaultTTL
	}
	return config.DefaultTokenTTL
}
