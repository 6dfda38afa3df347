package flow

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

// maxDescription bounds how much of a provider's error_description reaches
// the terminal.
const maxDescription = 200

// EndpointError is a refusal or an unreadable answer from an OAuth endpoint.
// Its message never carries the response body, only the RFC 6749 §5.2 error
// code and a cleaned, shortened description, with the request's secrets
// redacted from both.
type EndpointError struct {
	Endpoint    string // "token endpoint", "device authorization endpoint"
	Code        string // RFC 6749 §5.2 error code; "" when the body was not an OAuth error
	Description string // cleaned error_description
	Status      int    // HTTP status, 0 when unknown
	ContentType string // media type of the response, "" when unknown
	err         error
}

func (e *EndpointError) Error() string {
	if e.Code != "" {
		s := e.Endpoint + " refused the request: " + e.Code
		if e.Description != "" {
			s += " (" + e.Description + ")"
		}
		return s
	}
	var detail []string
	if e.Status != 0 {
		detail = append(detail, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.ContentType != "" {
		detail = append(detail, e.ContentType)
	}
	if len(detail) == 0 {
		return e.Endpoint + " returned an unexpected response"
	}
	return e.Endpoint + " returned an unexpected response (" + strings.Join(detail, ", ") + ")"
}

// Unwrap gives callers the *oauth2.RetrieveError, e.g. to spot invalid_grant.
func (e *EndpointError) Unwrap() error { return e.err }

// TokenEndpointError reshapes an error from an oauth2 token request into one
// that is safe to print. Use it for refreshes too. secrets are what the
// request carried (wire.Secrets): a provider that echoes them is not
// believed.
func TokenEndpointError(err error, secrets wire.Secrets) error {
	return endpointError("token endpoint", err, secrets)
}

func endpointError(endpoint string, err error, secrets wire.Secrets) error {
	if err == nil {
		return nil
	}
	// An HTTP client or dial timeout is the server's silence; the end of
	// the caller's own context (its --timeout, an interrupt) is not
	// reshaped, so that callers can tell the two apart.
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() && ue.Err != context.DeadlineExceeded {
		return &silentError{endpoint: endpoint}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var done *EndpointError
	if errors.As(err, &done) {
		return err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &EndpointError{Endpoint: endpoint, err: re,
			Code:        secrets.Clean(re.ErrorCode, 64),
			Description: secrets.Clean(re.ErrorDescription, maxDescription)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
			e.ContentType, _, _ = mime.ParseMediaType(re.Response.Header.Get("Content-Type"))
			e.ContentType = secrets.Clean(e.ContentType, 64)
		}
		return e
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "missing access_token"):
		return errNoAccessToken(endpoint)
	case strings.HasPrefix(msg, "oauth2: cannot parse"), strings.HasPrefix(msg, "oauth2: cannot fetch"),
		strings.HasPrefix(msg, "oauth2: cannot auth device"), strings.HasPrefix(msg, "unmarshal"):
		// x/oauth2 quotes parser errors that can hold bytes of the body.
		return &EndpointError{Endpoint: endpoint}
	}
	// The URL is the caller's to name: a configured one may carry a query.
	return fmt.Errorf("%s request failed: %w", endpoint, wire.ScrubURLError(err))
}

// silentError is an endpoint that did not answer in time. It is a
// net.Error, so callers see a timeout (transient), but not the caller's
// own context.DeadlineExceeded.
type silentError struct{ endpoint string }

func (e *silentError) Error() string   { return e.endpoint + " did not answer in time" }
func (e *silentError) Timeout() bool   { return true }
func (e *silentError) Temporary() bool { return true }

func errNoAccessToken(endpoint string) error {
	return fmt.Errorf("%s returned no access_token", endpoint)
}

// CheckBearer refuses tokens tok cannot use: tok only sends Bearer tokens
// (RFC 6750), and an empty token_type is read as Bearer, as x/oauth2 does.
// secrets are the values the request carried (client secret, code,
// verifier, refresh token): an error names the token_type only when it
// has the shape of a token type name and holds none of them, nor any of
// the answer's tokens.
func CheckBearer(t *oauth2.Token, secrets ...string) error {
	if t == nil || t.AccessToken == "" {
		return errNoAccessToken("token endpoint")
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		id, _ := t.Extra("id_token").(string)
		return fmt.Errorf("token endpoint returned %s, tok only handles Bearer",
			TokenTypeName(t.TokenType, append(secrets, t.AccessToken, t.RefreshToken, id)...))
	}
	if negativeExpiresIn(t) {
		return errors.New("token endpoint returned a negative expires_in")
	}
	// RFC 6749 Appendix A.12 and A.17: tokens are VSCHARs, and a Bearer
	// token (RFC 6750 §2.1) holds no space. Anything else would mangle
	// `print --format header` (a newline adds a header line) or not
	// survive the store.
	if !vschars(t.AccessToken, '!') {
		return errors.New("token endpoint returned an access_token with characters a Bearer token cannot hold")
	}
	if !vschars(t.RefreshToken, ' ') {
		return errors.New("token endpoint returned a refresh_token with characters a token cannot hold")
	}
	return nil
}

// TokenTypeName words an unknown token_type for an error: "token_type
// NAME" when it looks like a name of the OAuth Access Token Types
// registry (RFC 6749 §11.1: Bearer, N_A, PoP, DPoP, mac), at most 32
// letters, digits, "-", "_", "." or ":", and holds no secret; else
// "an unknown token type", so that a server that answers with a secret
// in the field does not get it printed.
func TokenTypeName(tt string, secrets ...string) string {
	const unknown = "an unknown token type"
	if len(tt) > 32 {
		return unknown
	}
	for _, r := range tt {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return unknown
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(tt, s) {
			return unknown
		}
	}
	return "token_type " + tt
}

// vschars reports whether s holds only printable ASCII from lowest on.
func vschars(s string, lowest byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < lowest || s[i] > '~' {
			return false
		}
	}
	return true
}

// negativeExpiresIn spots a broken RFC 6749 §5.1 expires_in. Storing a
// token that expired before it arrived would only make every later command
// refresh it again. Zero and absent mean "not said", as x/oauth2 reads them.
func negativeExpiresIn(t *oauth2.Token) bool {
	if t.ExpiresIn < 0 {
		return true
	}
	secs, _ := wire.ExpiresIn(t.Extra("expires_in"))
	return secs < 0
}
