package token

import (
	"context"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

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
	if p.ClientSecret == "" || p.TokenAuthMethod == "client_secret_post" {
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
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		if v > 0 && v < 1<<40 {
			return int64(v)
		}
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil && n > 0 && n < 1<<40 {
			return n
		}
	}
	return 0
}

// resourceParam is the RFC 8707 resource parameter for p's token
// requests, nil when none is sent.
func resourceParam(p *provider.Provider) map[string]string {
	if res := Resource(p); res != "" {
		return map[string]string{"resource": res}
	}
	return nil
}
