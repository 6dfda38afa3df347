package flow

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestClientCredentials(t *testing.T) {
	tests := []struct {
		name    string
		reply   reply
		style   oauth2.AuthStyle
		wantErr string
	}{
		{"ok in params", jsonReply(200, `{"access_token":"at-1","token_type":"bearer","expires_in":60}`), oauth2.AuthStyleInParams, ""},
		{"ok in header", jsonReply(200, `{"access_token":"at-1"}`), oauth2.AuthStyleInHeader, ""},
		{"refused", jsonReply(401, `{"error":"invalid_client","error_description":"bad secret \u0007","secret":"`+canary+`"}`),
			oauth2.AuthStyleInParams, "token endpoint refused the request: invalid_client (bad secret )"},
		{"long description", jsonReply(400, `{"error":"invalid_scope","error_description":"`+strings.Repeat("x", 300)+canary+`"}`),
			oauth2.AuthStyleInParams, "token endpoint refused the request: invalid_scope (" + strings.Repeat("x", 200) + "...)"},
		{"bad gateway", reply{502, "text/html", "<h1>" + canary + "</h1>", ""}, oauth2.AuthStyleInParams,
			"token endpoint returned an unexpected response (HTTP 502, text/html)"},
		{"not bearer", jsonReply(200, `{"access_token":"`+canary+`","token_type":"N_A"}`), oauth2.AuthStyleInParams,
			"token endpoint returned token_type N_A, tok only handles Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.reply)
			ep := p.endpoint()
			ep.AuthStyle = tt.style
			r := Request{
				OAuth:       oauth2.Config{ClientID: "svc", ClientSecret: canary, Endpoint: ep, Scopes: []string{"read", "write"}},
				TokenParams: map[string]string{"resource": "https://api.example"},
				HTTPClient:  p.srv.Client(),
			}
			tok, err := ClientCredentials(context.Background(), r)
			if tt.wantErr == "" {
				if err != nil || tok.AccessToken != "at-1" {
					t.Fatalf("ClientCredentials = %v, %v", tok, err)
				}
			} else {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				assertNoCanary(t, "error", err.Error())
			}
			want := url.Values{"grant_type": {"client_credentials"}, "scope": {"read write"}, "resource": {"https://api.example"}}
			if tt.style == oauth2.AuthStyleInParams {
				want.Set("client_id", "svc")
				want.Set("client_secret", canary)
			} else {
				req, _ := http.NewRequest("GET", "/", nil)
				req.SetBasicAuth("svc", canary)
				if p.tokenAuth[0] != req.Header.Get("Authorization") {
					t.Errorf("Authorization = %q", p.tokenAuth[0])
				}
			}
			assertForm(t, "client credentials", p.forms()[0], want)
		})
	}
}

func TestClientCredentialsNeedsSecret(t *testing.T) {
	p := newProvider(t)
	_, err := ClientCredentials(context.Background(), Request{OAuth: oauth2.Config{ClientID: "svc", Endpoint: p.endpoint()}})
	if err == nil || !strings.Contains(err.Error(), "needs a client_secret") {
		t.Fatalf("err = %v", err)
	}
}

func TestTokenEndpointErrorKeepsCause(t *testing.T) {
	re := &oauth2.RetrieveError{ErrorCode: "invalid_grant", Body: []byte(canary)}
	err := TokenEndpointError(re, nil)
	var got *oauth2.RetrieveError
	if !errors.As(err, &got) || got.ErrorCode != "invalid_grant" {
		t.Errorf("errors.As lost the RetrieveError: %v", err)
	}
	assertNoCanary(t, "error", err.Error())
	if err := TokenEndpointError(context.DeadlineExceeded, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context error reshaped: %v", err)
	}
}
