package token

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/wire"
)

// Revoke asks the provider to invalidate tok (RFC 7009 §2.1). hint is
// "refresh_token" or "access_token".
func Revoke(ctx context.Context, hc *http.Client, p *provider.Provider, endpoint, tok, hint string) error {
	form := url.Values{"token": {tok}, "token_type_hint": {hint}}
	if res := Resource(p); res != "" {
		form.Set("resource", res)
	}
	h := http.Header{}
	Client(p).Authenticate(form, h)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revocation endpoint: %w", err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("revocation endpoint unreachable: %w", wire.ScrubURLError(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, wire.MaxDrain))
	// RFC 7009 §2.2: 200 also for tokens that were already invalid.
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revocation endpoint answered HTTP %d", resp.StatusCode)
	}
	return nil
}
