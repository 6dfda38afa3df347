package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

// deviceAuth sends the device authorization request (RFC 8628 §3.1). It is
// written here rather than taken from oauth2.Config.DeviceAuth because a
// confidential client must authenticate on it as at the token endpoint
// (§3.1, RFC 6749 §2.3.1), which x/oauth2 does not do: the client goes
// through the same wire.Client as token polls and revocation. The answer
// is read as x/oauth2 reads it (verification_url too, as Google sends it).
func deviceAuth(ctx context.Context, r *Request, params map[string]string) (*oauth2.DeviceAuthResponse, error) {
	v := url.Values{}
	if len(r.OAuth.Scopes) > 0 {
		v.Set("scope", strings.Join(r.OAuth.Scopes, " "))
	}
	for k, p := range params {
		v.Set(k, p)
	}
	h := http.Header{}
	r.client().Authenticate(v, h)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.OAuth.Endpoint.DeviceAuthURL, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("oauth2: cannot auth device: %w", wire.ScrubURLError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, err := parseTokenResponse(resp, body) // RFC 6749 §5.2 error, or an unreadable page
		return nil, err
	}
	da := &oauth2.DeviceAuthResponse{}
	if len(body) > wire.MaxDocument || json.Unmarshal(body, da) != nil {
		return nil, &EndpointError{Endpoint: "device authorization endpoint"}
	}
	return da, nil
}
