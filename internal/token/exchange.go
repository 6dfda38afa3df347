package token

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// RFC 8693 §2.1 and §3 names.
const (
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
)

// exchangeResponse is RFC 8693 §2.2.1.
type exchangeResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       any    `json:"expires_in"`
	Scope           string `json:"scope"`
	// §2.2.2 errors (RFC 6749 §5.2).
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// exchange trades the login's access token for one limited to want (RFC
// 8693 §2.1). The subject token must be valid: an expired one is
// refreshed first, as print would.
func (m *Manager) exchange(ctx context.Context, t Target, p *provider.Provider, md *provider.Metadata, login *store.Record, want []string) (*store.Record, error) {
	if login.TTL(m.Now()) <= 0 {
		if !login.Refreshable() {
			return nil, tokerr.LoginNeededFor(t.String(), fmt.Errorf("the token expired and the provider gave no refresh token"))
		}
		fresh, err := m.retryBusy(ctx, t, login, false, func() (*store.Record, error) {
			return m.refreshLocked(ctx, t, p, login, 0)
		})
		if err != nil {
			return nil, err
		}
		login = fresh
	}
	form := url.Values{
		"grant_type":           {GrantTokenExchange},
		"subject_token":        {login.AccessToken},
		"subject_token_type":   {TokenTypeAccess},
		"requested_token_type": {TokenTypeAccess},
		"scope":                {ScopeSet(want)},
	}
	if res := Resource(p); res != "" {
		form.Set("resource", res)
	}
	resp, err := m.postForm(ctx, p, md.TokenURL, form)
	if err != nil {
		return nil, fmt.Errorf("token exchange for %s: %w", t, err)
	}
	return m.exchangeRecord(t, resp, want, login, Client(p).Secrets().With(login.AccessToken))
}

// exchangeRecord reads the answer to an exchange whose request carried
// secrets (the subject token, the client's secret): no message shows them.
func (m *Manager) exchangeRecord(t Target, r *exchangeResponse, want []string, login *store.Record, secrets wire.Secrets) (*store.Record, error) {
	if r.Error != "" {
		return nil, fmt.Errorf("token exchange for %s refused: %s %s", t, secrets.Clean(r.Error, 80), secrets.Clean(r.ErrorDescription, 200))
	}
	if r.IssuedTokenType != "" && r.IssuedTokenType != TokenTypeAccess {
		return nil, fmt.Errorf("token exchange for %s issued a %s, not an access token", t, secrets.Clean(r.IssuedTokenType, 80))
	}
	if r.AccessToken == "" {
		return nil, fmt.Errorf("token exchange for %s returned no access token", t)
	}
	if r.TokenType != "" && !strings.EqualFold(r.TokenType, "bearer") && !strings.EqualFold(r.TokenType, "N_A") {
		return nil, fmt.Errorf("token exchange for %s returned %s, tok only handles Bearer", t, flow.TokenTypeName(r.TokenType, secrets.With(r.AccessToken)...))
	}
	if err := flow.CheckBearer(bearer(r.AccessToken)); err != nil {
		return nil, err
	}
	next := &store.Record{AccessToken: r.AccessToken, TokenType: "Bearer", Scopes: want, ObtainedAt: m.Now(), Issuer: login.Issuer, ClientID: login.ClientID}
	if secs, ok := wire.ExpiresIn(r.ExpiresIn); ok && secs > 0 {
		next.Expiry = m.Now().Add(time.Duration(secs) * time.Second)
	} else {
		// No lifetime given: never longer than the subject token's.
		next.Expiry = login.Expiry
	}
	if r.Scope != "" {
		next.Scopes = strings.Fields(r.Scope)
	}
	return next, nil
}

// postForm sends a form to the token endpoint with p's client
// authentication and reads the JSON answer, error answers included.
func (m *Manager) postForm(ctx context.Context, p *provider.Provider, endpoint string, form url.Values) (*exchangeResponse, error) {
	h := http.Header{}
	Client(p).Authenticate(form, h)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	hc := m.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, wire.ScrubURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxDocument))
	if err != nil {
		return nil, err
	}
	var r exchangeResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("token endpoint answered HTTP %d without a JSON document", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK && r.Error == "" {
		return nil, fmt.Errorf("token endpoint answered HTTP %d", resp.StatusCode)
	}
	return &r, nil
}

// bearer wraps an access token for flow.CheckBearer's checks of its
// characters (RFC 6750 §2.1).
func bearer(s string) *oauth2.Token { return &oauth2.Token{AccessToken: s, TokenType: "Bearer"} }
