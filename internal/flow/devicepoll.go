package flow

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

// pollOnce sends one device access token request (RFC 8628 §3.4) and reads
// the answer as RFC 6749 §5.1 or §5.2 describe. x/oauth2 only offers a
// whole polling loop, so the single request is written here. OAuth errors
// come back as *oauth2.RetrieveError, as x/oauth2 would return them.
func pollOnce(ctx context.Context, r *Request, deviceCode string) (*oauth2.Token, error) {
	c := &r.OAuth
	v := url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {deviceCode},
	}
	for k, p := range r.TokenParams {
		v.Set(k, p)
	}
	h := http.Header{}
	r.client().Authenticate(v, h)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint.TokenURL, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return nil, &transportError{err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxDocument+1))
	if err != nil {
		return nil, &transportError{err}
	}
	return parseTokenResponse(resp, body)
}

// transportError is a request that got no answer: worth retrying later.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func parseTokenResponse(resp *http.Response, body []byte) (*oauth2.Token, error) {
	re := &oauth2.RetrieveError{Response: resp, Body: body}
	failed := resp.StatusCode < 200 || resp.StatusCode > 299
	fields := map[string]any{}
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch media {
	case "application/x-www-form-urlencoded", "text/plain": // GitHub without Accept
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, re
		}
		for k := range vals {
			fields[k] = vals.Get(k)
		}
	default:
		if json.Unmarshal(body, &fields) != nil {
			return nil, re
		}
	}
	str := func(k string) string { s, _ := fields[k].(string); return s }
	re.ErrorCode, re.ErrorDescription, re.ErrorURI = str("error"), str("error_description"), str("error_uri")
	// Some servers answer errors with 200 (RFC 6749 §5.2 says 400).
	if failed || re.ErrorCode != "" {
		return nil, re
	}
	tok := &oauth2.Token{AccessToken: str("access_token"), TokenType: str("token_type"), RefreshToken: str("refresh_token")}
	if tok.AccessToken == "" {
		return nil, errors.New("oauth2: server response missing access_token")
	}
	if secs, _ := wire.ExpiresIn(fields["expires_in"]); secs > 0 {
		tok.ExpiresIn = secs
		tok.Expiry = time.Now().Add(time.Duration(secs) * time.Second)
	}
	return tok.WithExtra(fields), nil
}
