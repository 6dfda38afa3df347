package flow

import (
	"errors"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

// SettingHint names the setting in tok's own config that fixes a refusal
// the provider gave, or "" when tok knows none. It reads the RFC 6749
// §4.1.2.1/§5.2 error code of an *AuthorizationError or *EndpointError in
// err's chain, and the description where the code alone is too broad.
func SettingHint(err error) string {
	code, desc := refusal(err)
	if code == "" {
		return ""
	}
	desc = strings.ToLower(desc)
	// The description is read only for codes too broad to name a fix.
	broad := code == "invalid_request" || code == "access_denied" || code == "invalid_target"
	switch {
	case code == "invalid_target", broad && strings.Contains(strings.ReplaceAll(desc, "resource owner", ""), "resource"):
		// RFC 8707 §2: the resource indicator is refused.
		return "the provider refuses the resource parameter: set resource: - (or the resource it expects) in the provider's config"
	case broad && strings.Contains(desc, "audience"):
		return "the provider wants an audience: set token_params: {audience: ...} in the provider's config, or TOK_<P>_TOKEN_PARAMS"
	}
	switch code {
	case "invalid_scope":
		return "check the provider's scopes: in the config (or TOK_<P>_SCOPES, --scope)"
	case "invalid_client":
		return "check the provider's client_id, client_secret and token_endpoint_auth_method (client_secret_basic or client_secret_post) in the config"
	case "unauthorized_client", "unsupported_grant_type":
		return "the client may not use this flow: check the provider's client_id and flow: in the config (or --browser, --device)"
	case "unsupported_response_type":
		return "the client may not use the authorization code flow: check the provider's client_id and flow: in the config"
	case "request_not_supported", "request_uri_not_supported", "registration_not_supported":
		return "check the provider's auth_params: in the config"
	}
	return ""
}

func refusal(err error) (code, desc string) {
	var ae *AuthorizationError
	if errors.As(err, &ae) {
		return ae.Code, ae.Description
	}
	var ee *EndpointError
	if errors.As(err, &ee) {
		return ee.Code, ee.Description
	}
	return "", ""
}

// BusyHint says when to try again after a refusal that means "later"
// (HTTP 429 or 5xx, temporarily_unavailable, server_error): the server's
// Retry-After, capped at a minute, where it gave one. "" otherwise.
func BusyHint(err error, now time.Time) string {
	var re *oauth2.RetrieveError
	var be *wire.BusyError
	if !errors.As(err, &be) && !(errors.As(err, &re) && wire.Transient(err)) {
		return ""
	}
	if d := wire.RetryAfterOf(err, now); d > 0 {
		return "the provider is busy: try again in " + d.Round(time.Second).String()
	}
	return "the provider is busy or down: try again shortly"
}
