package flow

import (
	"context"
	"errors"
	"net/url"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/tokerr"
)

// ClientCredentials fetches a token for the client itself (RFC 6749 §4.4).
func ClientCredentials(ctx context.Context, r Request) (*oauth2.Token, error) {
	if r.OAuth.Endpoint.TokenURL == "" {
		return nil, errors.New("provider has no token endpoint for the client_credentials flow")
	}
	if r.OAuth.ClientSecret == "" {
		return nil, tokerr.New(tokerr.Usage, "the client_credentials flow needs a client_secret").
			WithHint("%s", secretHint(r.Provider))
	}
	if _, err := paramOptions("token_params", r.TokenParams, reservedTokenParams); err != nil {
		return nil, err
	}
	params := url.Values{}
	for k, v := range r.TokenParams {
		params.Set(k, v)
	}
	cc := clientcredentials.Config{
		ClientID:       r.OAuth.ClientID,
		ClientSecret:   r.OAuth.ClientSecret,
		TokenURL:       r.OAuth.Endpoint.TokenURL,
		Scopes:         r.OAuth.Scopes,
		EndpointParams: params,
		AuthStyle:      r.OAuth.Endpoint.AuthStyle,
	}
	tok, err := cc.Token(r.httpContext(ctx))
	if err != nil {
		return nil, TokenEndpointError(err, r.client().Secrets())
	}
	return tok, CheckBearer(tok, r.client().Secrets()...)
}

// secretHint says where a provider's client secret is set: its config key
// and variable (README "Environment").
func secretHint(provider string) string {
	if provider == "" {
		return "set the provider's client_secret in the config file"
	}
	return "set " + config.KeyPath(provider, "client_secret") + " in the config file, or " + config.EnvVar(provider, "CLIENT_SECRET")
}
