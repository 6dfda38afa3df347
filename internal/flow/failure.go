package flow

import "errors"

// AuthorizationError is the provider's error response on the redirect
// (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6). Code and Description
// are cleaned for the terminal; the page in the browser shows neither.
type AuthorizationError struct {
	Code        string
	Description string
}

func (e *AuthorizationError) Error() string {
	msg := "provider refused the login: " + e.Code
	if e.Description != "" {
		msg += " (" + e.Description + ")"
	}
	return msg
}

// errMixUp marks a redirect whose issuer is not the one tok asked (RFC
// 9207 §2.4).
var errMixUp = errors.New("possible mix-up attack")

// failureSentences are what the failure page says for each error code tok
// knows: fixed text, so nothing the provider wrote reaches the page.
var failureSentences = map[string]string{
	// RFC 6749 §4.1.2.1
	"access_denied":             "The request was declined at the provider, so tok got no access.",
	"invalid_request":           "The provider found the login request malformed. Check the provider's settings in tok's config.",
	"unauthorized_client":       "The provider does not let this client log in this way. Check the client id and the flows it allows.",
	"unsupported_response_type": "The provider does not offer this client the authorization code flow.",
	"invalid_scope":             "The provider does not accept the scopes tok asked for. Check the provider's scopes setting.",
	"server_error":              "The provider ran into an internal error. Try again in a moment.",
	"temporarily_unavailable":   "The provider is busy or down for maintenance. Try again in a moment.",
	// OpenID Connect Core §3.1.2.6
	"interaction_required":       "The provider needs you to act on its own pages before it can log you in.",
	"login_required":             "The provider needs you to sign in first.",
	"account_selection_required": "The provider needs you to choose an account.",
	"consent_required":           "The provider needs your consent, and could not ask for it.",
	"invalid_request_uri":        "The provider could not use the request tok referred to.",
	"invalid_request_object":     "The provider could not use the request object.",
	"request_not_supported":      "The provider does not support a parameter tok sent. Check auth_params in tok's config.",
	"request_uri_not_supported":  "The provider does not support a parameter tok sent. Check auth_params in tok's config.",
	"registration_not_supported": "The provider does not support a parameter tok sent. Check auth_params in tok's config.",
}

const (
	sentenceUnknownCode = "The provider refused the login."
	sentenceMixUp       = "The answer did not come from the provider tok asked, so tok refused it."
	sentenceExchange    = "The provider did not turn the login into a token."
	sentenceOther       = "The login could not be completed."
)

// failureSentence picks the failure page's sentence for how a login ended.
func failureSentence(err error) string {
	var ae *AuthorizationError
	var ee *EndpointError
	switch {
	case errors.As(err, &ae):
		if s, ok := failureSentences[ae.Code]; ok {
			return s
		}
		return sentenceUnknownCode
	case errors.Is(err, errMixUp):
		return sentenceMixUp
	case errors.As(err, &ee):
		return sentenceExchange
	}
	return sentenceOther
}
