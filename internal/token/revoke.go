package token

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/provider"
)

// Revoke asks the provider to invalidate tok (RFC 7009 §2.1). hint is
// "refresh_token" or "access_token".
func Revoke(ctx context.Context, hc *http.Client, p *provider.Provider, endpoint, tok, hint string) error {
	form := url.Values{"token": {tok}, "token_type_hint": {hint}}
	basic := p.ClientSecret != "" && AuthStyle(p) == oauth2.AuthStyleInHeader
	if !basic {
		form.Set("client_id", p.ClientID)
	}
	if p.ClientSecret != "" && !basic {
		form.Set("client_secret", p.ClientSecret)
	}
	if res := Resource(p); res != "" {
		form.Set("resource", res)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revocation endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		// RFC 6749 §2.3.1: form-encode before basic auth.
		req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("revocation endpoint unreachable: %w", scrub(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	// RFC 7009 §2.2: 200 also for tokens that were already invalid.
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revocation endpoint answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// scrub drops the URL from a *url.Error.
func scrub(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
