package flow

import (
	"errors"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/wire"
)

// ProviderError is an error from the provider tok knows as Provider, so
// that SettingHint can name that provider's own settings. It reads as
// the error it wraps.
type ProviderError struct {
	Provider string
	Err      error
}

func (e *ProviderError) Error() string { return e.Err.Error() }
func (e *ProviderError) Unwrap() error { return e.Err }

// ByProvider marks err as coming from the provider named name. nil, an
// empty name and an error already marked pass as they are.
func ByProvider(name string, err error) error {
	var pe *ProviderError
	if err == nil || name == "" || errors.As(err, &pe) {
		return err
	}
	return &ProviderError{Provider: name, Err: err}
}

// SettingHint names the setting in tok's own config that fixes a refusal
// the provider gave, or "" when tok knows none. It reads the RFC 6749
// §4.1.2.1/§5.2 error code of an *AuthorizationError or *EndpointError in
// err's chain, and the description where the code alone is too broad.
// With a *ProviderError in the chain it names that provider's config key
// (providers.NAME.KEY) and variable (TOK_NAME_KEY, README "Environment").
func SettingHint(err error) string {
	code, desc := refusal(err)
	if code == "" {
		return ""
	}
	s := settingsOf(err)
	desc = strings.ToLower(desc)
	// The description is read only for codes too broad to name a fix.
	broad := code == "invalid_request" || code == "access_denied" || code == "invalid_target"
	switch {
	case code == "invalid_target", broad && strings.Contains(strings.ReplaceAll(desc, "resource owner", ""), "resource"):
		// RFC 8707 §2: the resource indicator is refused.
		return "the provider refuses the resource parameter: set " + s.key("resource") + ": - (or the resource it expects) in the config file"
	case broad && strings.Contains(desc, "audience"):
		return "the provider wants an audience: set " + s.key("token_params") + ": {audience: ...} in the config file" + s.or("TOKEN_PARAMS")
	}
	switch code {
	case "invalid_scope":
		return "check " + s.key("scopes") + " in the config file" + s.also("--scope", "SCOPES")
	case "invalid_client":
		return "check " + s.key("client_id") + ", client_secret and token_endpoint_auth_method (client_secret_basic or client_secret_post) in the config file" + s.also("", "CLIENT_ID", "CLIENT_SECRET")
	case "unauthorized_client", "unsupported_grant_type":
		return "the client may not use this flow: check " + s.key("client_id") + " and flow in the config file" + s.also("--browser, --device", "CLIENT_ID", "FLOW")
	case "unsupported_response_type":
		return "the client may not use the authorization code flow: check " + s.key("client_id") + " and flow in the config file" + s.also("", "CLIENT_ID", "FLOW")
	case "request_not_supported", "request_uri_not_supported", "registration_not_supported":
		return "check " + s.key("auth_params") + " in the config file"
	}
	return ""
}

// settings words a provider's settings for a hint; the zero value, for
// an error of no known provider, says "the provider's".
type settings struct{ provider string }

func settingsOf(err error) settings {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return settings{pe.Provider}
	}
	return settings{}
}

// key is the setting's place in the config file.
func (s settings) key(k string) string {
	if s.provider == "" {
		return "the provider's " + k
	}
	return config.KeyPath(s.provider, k)
}

// or is ", or TOK_NAME_KEY", "" for no known provider.
func (s settings) or(key string) string {
	if s.provider == "" {
		return ""
	}
	return ", or " + config.EnvVar(s.provider, key)
}

// also is " (or TOK_NAME_KEY..., flags)" with what else sets it.
func (s settings) also(flags string, keys ...string) string {
	var alt []string
	if s.provider != "" {
		for _, k := range keys {
			alt = append(alt, config.EnvVar(s.provider, k))
		}
	}
	if flags != "" {
		alt = append(alt, flags)
	}
	if len(alt) == 0 {
		return ""
	}
	return " (or " + strings.Join(alt, ", ") + ")"
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
