package flow

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

func endpointRefusal(code, desc string) error {
	return fmt.Errorf("refreshing dex: %w", TokenEndpointError(&oauth2.RetrieveError{
		Response: &http.Response{StatusCode: 400, Header: http.Header{}}, ErrorCode: code, ErrorDescription: desc}, nil))
}

// Every refusal with a known fix in tok's settings names the setting: the
// provider's own config key and variable when the error says which
// provider refused (ByProvider), else the provider's setting by name.
func TestSettingHint(t *testing.T) {
	tests := []struct {
		err  error
		want string // "" = no hint
	}{
		{endpointRefusal("invalid_target", ""), "resource: -"},
		{endpointRefusal("invalid_request", "Resource parameter is not allowed"), "resource: -"},
		{&AuthorizationError{Code: "invalid_target"}, "resource: -"},
		{endpointRefusal("access_denied", "Service not found: an audience is required"), "token_params: {audience: ...}"},
		{endpointRefusal("invalid_request", "missing audience"), "token_params"},
		{endpointRefusal("invalid_scope", ""), "the provider's scopes in the config file (or --scope)"},
		{&AuthorizationError{Code: "invalid_scope"}, "scopes"},
		{endpointRefusal("invalid_client", "bad secret"), "client_id, client_secret and token_endpoint_auth_method"},
		{endpointRefusal("unauthorized_client", ""), "client_id and flow"},
		{&AuthorizationError{Code: "unauthorized_client"}, "client_id and flow"},
		{endpointRefusal("unsupported_grant_type", ""), "flow"},
		{&AuthorizationError{Code: "request_not_supported"}, "auth_params"},
		{endpointRefusal("access_denied", "The resource owner or authorization server denied the request."), ""},
		{endpointRefusal("invalid_grant", "resource mismatch"), ""},
		{endpointRefusal("invalid_grant", ""), ""},
		{&AuthorizationError{Code: "access_denied"}, ""},
		{errors.New("invalid_scope"), ""},

		// By provider: README "Environment" turns my-op.eu into MY_OP_EU.
		{ByProvider("my-op.eu", endpointRefusal("invalid_target", "")), "set providers.my-op.eu.resource: - (or the resource it expects) in the config file"},
		{fmt.Errorf("client credentials: %w", ByProvider("my-op.eu", endpointRefusal("access_denied", "audience required"))),
			"set providers.my-op.eu.token_params: {audience: ...} in the config file, or TOK_MY_OP_EU_TOKEN_PARAMS"},
		{ByProvider("my-op.eu", &AuthorizationError{Code: "invalid_scope"}), "check providers.my-op.eu.scopes in the config file (or TOK_MY_OP_EU_SCOPES, --scope)"},
		{ByProvider("my-op.eu", endpointRefusal("invalid_client", "")), "in the config file (or TOK_MY_OP_EU_CLIENT_ID, TOK_MY_OP_EU_CLIENT_SECRET)"},
		{ByProvider("my-op.eu", endpointRefusal("unauthorized_client", "")), "check providers.my-op.eu.client_id and flow in the config file (or TOK_MY_OP_EU_CLIENT_ID, TOK_MY_OP_EU_FLOW, --browser, --device)"},
		{ByProvider("my-op.eu", &AuthorizationError{Code: "request_not_supported"}), "check providers.my-op.eu.auth_params in the config file"},
		{ByProvider("my-op.eu", endpointRefusal("invalid_grant", "")), ""},
	}
	for _, tt := range tests {
		got := SettingHint(tt.err)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("SettingHint(%v) = %q, want one with %q", tt.err, got, tt.want)
		}
		if strings.Contains(got, "<") {
			t.Errorf("SettingHint(%v) = %q names a variable generically", tt.err, got)
		}
	}
}

// ByProvider reads as the error it marks, keeps errors.Is and errors.As,
// and marks once: the innermost provider is the one that refused.
func TestByProvider(t *testing.T) {
	inner := endpointRefusal("invalid_scope", "")
	err := ByProvider("outer", ByProvider("dex", inner))
	var ee *EndpointError
	if err.Error() != inner.Error() || !errors.Is(err, inner) || !errors.As(err, &ee) {
		t.Errorf("ByProvider changed the error: %v", err)
	}
	if got := SettingHint(err); !strings.Contains(got, "providers.dex.scopes") {
		t.Errorf("hint %q, want dex's", got)
	}
	if ByProvider("dex", nil) != nil || ByProvider("", inner) != inner {
		t.Error("nil or an unnamed provider must pass as it is")
	}
}

func TestBusyHint(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	busy := func(status int, code, retryAfter string) error {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return fmt.Errorf("refreshing dex: %w", TokenEndpointError(&oauth2.RetrieveError{
			Response: &http.Response{StatusCode: status, Header: h}, ErrorCode: code}, nil))
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{busy(429, "", "30"), "the provider is busy: try again in 30s"},
		{busy(503, "", "7200"), "the provider is busy: try again in 1m0s"},
		{busy(400, "temporarily_unavailable", ""), "the provider is busy or down: try again shortly"},
		{&wire.BusyError{Status: 503, Err: errors.New("no metadata")}, "the provider is busy or down: try again shortly"},
		{busy(400, "invalid_grant", "30"), ""},
		{errors.New("x"), ""},
	} {
		if got := BusyHint(tt.err, now); got != tt.want {
			t.Errorf("BusyHint(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
