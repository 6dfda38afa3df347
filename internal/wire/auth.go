package wire

import (
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// Token endpoint authentication methods (RFC 7591 §2).
const (
	AuthNone  = "none"
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
)

// ReservedAuthParams are the authorization request parameters tok sets
// itself: auth_params may not set them, which would undo PKCE, state or
// the redirect URI check (RFC 6749 §4.1.1, RFC 7636 §4.3).
var ReservedAuthParams = []string{"response_type", "client_id", "redirect_uri", "state",
	"code_challenge", "code_challenge_method"}

// ReservedTokenParams are the token request parameters tok sets itself:
// token_params may not set them, which would undo the grant, PKCE or the
// client's authentication (RFC 6749 §4.1.3, §6; RFC 7636 §4.5; RFC 8628
// §3.4).
var ReservedTokenParams = []string{"grant_type", "code", "code_verifier", "redirect_uri",
	"client_id", "client_secret", "device_code", "refresh_token"}

// Client is how tok authenticates as an OAuth client at the token,
// device authorization and revocation endpoints (RFC 6749 §2.3.1). Method
// is token_endpoint_auth_method: client_secret_basic (the default with a
// secret), client_secret_post, or none.
type Client struct {
	ID, Secret, Method string
}

// secret is the secret tok sends: none for a public client.
func (c Client) secret() string {
	if c.Method == AuthNone {
		return ""
	}
	return c.Secret
}

// Basic reports whether the client authenticates with HTTP Basic.
func (c Client) Basic() bool { return c.secret() != "" && c.Method != AuthPost }

// AuthStyle is the same choice for x/oauth2's requests. It is fixed rather
// than auto-detected: auto-detection retries a failed request with the
// other style, which would send a rotating refresh token twice.
func (c Client) AuthStyle() oauth2.AuthStyle {
	if c.Basic() {
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}

// OAuthSecret is the ClientSecret to give x/oauth2: "" for method none.
func (c Client) OAuthSecret() string { return c.secret() }

// Authenticate adds the client's credentials to a form request as x/oauth2
// does for its own: Basic with form-encoded id and secret (RFC 6749
// §2.3.1), or client_id (and client_secret, if any) in the form.
func (c Client) Authenticate(form url.Values, h http.Header) {
	if c.Basic() {
		r := http.Request{Header: h}
		r.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
		return
	}
	form.Set("client_id", c.ID)
	if s := c.secret(); s != "" {
		form.Set("client_secret", s)
	}
}
