package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/wire"
)

// Token endpoint authentication methods (RFC 7591 §2).
const (
	AuthNone  = wire.AuthNone
	AuthBasic = wire.AuthBasic
	AuthPost  = wire.AuthPost
)

// Registration is a client registered with an authorization server
// (RFC 7591 §3.2.1). It is kept in the token store: it may hold a secret.
type Registration struct {
	Issuer       string    `json:"issuer"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret,omitempty"`
	AuthMethod   string    `json:"token_endpoint_auth_method"`
	RedirectURI  string    `json:"redirect_uri"`
	RegisteredAt time.Time `json:"registered_at"`
	// SecretExpiresAt is client_secret_expires_at; zero means never.
	SecretExpiresAt int64 `json:"client_secret_expires_at,omitempty"`
}

// registrationRequest is the client metadata tok sends (RFC 7591 §2).
type registrationRequest struct {
	ClientName      string   `json:"client_name"`
	RedirectURIs    []string `json:"redirect_uris"`
	GrantTypes      []string `json:"grant_types"`
	ResponseTypes   []string `json:"response_types"`
	AuthMethod      string   `json:"token_endpoint_auth_method"`
	ApplicationType string   `json:"application_type"`
}

type registrationResponse struct {
	ClientID        string `json:"client_id"`
	ClientSecret    string `json:"client_secret"`
	AuthMethod      string `json:"token_endpoint_auth_method"`
	SecretExpiresAt int64  `json:"client_secret_expires_at"`
	Error           string `json:"error"`
	Description     string `json:"error_description"`
}

// AuthMethodFor picks how a registered client authenticates at the token
// endpoint: none (a public client, RFC 8252 §8.4) unless the server lists
// methods without it.
func AuthMethodFor(md *provider.Metadata) (string, error) {
	supported := md.TokenAuthMethods
	if len(supported) == 0 || slices.Contains(supported, AuthNone) {
		return AuthNone, nil
	}
	for _, m := range []string{AuthBasic, AuthPost} {
		if slices.Contains(supported, m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("authorization server %s supports none of the token endpoint authentication methods tok has (none, client_secret_basic, client_secret_post)", md.Issuer)
}

// Register registers tok as a native client with the exact loopback
// redirectURI at md's registration endpoint (RFC 7591 §3).
func Register(ctx context.Context, hc *http.Client, md *provider.Metadata, redirectURI string, now time.Time) (*Registration, error) {
	if md.RegistrationURL == "" {
		return nil, fmt.Errorf("authorization server %s has no registration_endpoint", md.Issuer)
	}
	method, err := AuthMethodFor(md)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(registrationRequest{
		ClientName:      "tok",
		RedirectURIs:    []string{redirectURI},
		GrantTypes:      []string{"authorization_code", "refresh_token"},
		ResponseTypes:   []string{"code"},
		AuthMethod:      method,
		ApplicationType: "native",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, md.RegistrationURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("registration endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registering a client with %s: %w", md.Issuer, wire.ScrubURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxDocument))
	if err != nil {
		return nil, fmt.Errorf("registering a client with %s: %w", md.Issuer, err)
	}
	var rr registrationResponse
	jerr := json.Unmarshal(raw, &rr)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		// RFC 7591 §3.2.2: error and error_description.
		if jerr == nil && rr.Error != "" {
			msg := fmt.Sprintf("registration endpoint of %s refused tok: %s", md.Issuer, wire.Clean(rr.Error, 64))
			if rr.Description != "" {
				msg += " (" + wire.Clean(rr.Description, 200) + ")"
			}
			return nil, fmt.Errorf("%s", msg)
		}
		return nil, fmt.Errorf("registration endpoint of %s answered HTTP %d", md.Issuer, resp.StatusCode)
	}
	if jerr != nil || rr.ClientID == "" {
		return nil, fmt.Errorf("registration endpoint of %s returned no client_id", md.Issuer)
	}
	reg := &Registration{
		Issuer: md.Issuer, ClientID: rr.ClientID, ClientSecret: rr.ClientSecret,
		AuthMethod: method, RedirectURI: redirectURI, RegisteredAt: now,
		SecretExpiresAt: rr.SecretExpiresAt,
	}
	// §3.2.1: the server may have changed what was asked for.
	if rr.AuthMethod != "" {
		reg.AuthMethod = rr.AuthMethod
	}
	if reg.AuthMethod == AuthNone {
		reg.ClientSecret = ""
	}
	return reg, nil
}

// Usable reports whether the registration can still be used at now: its
// secret, if it has one, has not expired.
func (r *Registration) Usable(now time.Time) bool {
	return r.SecretExpiresAt == 0 || now.Unix() < r.SecretExpiresAt
}
