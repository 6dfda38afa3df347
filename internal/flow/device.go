package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

const (
	defaultInterval   = 5 * time.Second  // RFC 8628 §3.2: "clients MUST use 5 as the default"
	slowDownStep      = 5 * time.Second  // RFC 8628 §3.5
	maxNetworkBackoff = 60 * time.Second // cap on the doubling after connection failures
	maxNetworkErrors  = 6                // consecutive failures before giving up
)

// Authorization-endpoint-only parameters that make no sense on a device
// authorization request (RFC 8628 §3.1).
var browserOnlyParams = map[string]bool{
	"prompt": true, "display": true, "response_mode": true, "nonce": true,
	"login_hint": true, "max_age": true, "ui_locales": true, "access_type": true,
}

var (
	errDeviceDenied  = errors.New("login was denied at the provider")
	errDeviceExpired = errors.New("the device code expired before it was approved: run tok login again")
)

// Device runs the device authorization grant (RFC 8628): it asks for a user
// code, hands it to DisplayCode and polls the token endpoint until the user has
// approved or refused it, or the code expires.
func Device(ctx context.Context, r Request) (*oauth2.Token, error) {
	if r.OAuth.Endpoint.DeviceAuthURL == "" {
		return nil, errors.New("provider has no device authorization endpoint: use the browser flow (--browser)")
	}
	var authParams map[string]string
	for k, v := range r.AuthParams {
		if !browserOnlyParams[strings.ToLower(k)] {
			if authParams == nil {
				authParams = map[string]string{}
			}
			authParams[k] = v
		}
	}
	if _, err := paramOptions("auth_params", authParams, reservedAuthParams); err != nil {
		return nil, err
	}
	if _, err := paramOptions("token_params", r.TokenParams, reservedTokenParams); err != nil {
		return nil, err
	}
	da, err := deviceAuthRetrying(ctx, &r, authParams)
	if ctx.Err() != nil {
		return nil, unfinished(ctx)
	}
	if err != nil {
		return nil, endpointError("device authorization endpoint", err, r.client().Secrets())
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, errors.New("device authorization endpoint returned no device_code, user_code or verification_uri")
	}
	uri, code, complete := wire.Clean(da.VerificationURI, 500), wire.Clean(da.UserCode, 64), wire.Clean(da.VerificationURIComplete, 500)
	done := func() {}
	if r.DisplayCode != nil {
		done = r.DisplayCode(DeviceCode{UserCode: code, VerificationURI: uri,
			VerificationURIComplete: complete, Expiry: deviceDeadline(r.clock(), da)})
	}
	tok, err := pollDevice(ctx, &r, da)
	if done != nil {
		done()
	}
	if err != nil {
		return nil, err
	}
	return tok, CheckBearer(tok, r.client().Secrets().With(da.DeviceCode)...)
}

// deviceDeadline is when the device code expires on tok's clock; zero when
// the server gave no expires_in.
func deviceDeadline(now func() time.Time, da *oauth2.DeviceAuthResponse) time.Time {
	if da.Expiry.IsZero() {
		return time.Time{}
	}
	return now().Add(time.Until(da.Expiry))
}

// pollDevice implements the client side of RFC 8628 §3.5 by hand, because
// oauth2.Config.DeviceAccessToken ends on the first connection failure and
// sleeps on the wall clock. It waits the interval before every request, adds
// 5 seconds on slow_down, and, as §3.5 recommends after connection timeouts,
// doubles its wait after each network failure. A busy server (HTTP 429 or
// 5xx, temporarily_unavailable) is waited out like slow_down, or for its
// Retry-After (at most a minute), until the code expires (README,
// "Transient failures never withhold a valid token").
func pollDevice(ctx context.Context, r *Request, da *oauth2.DeviceAuthResponse) (*oauth2.Token, error) {
	now, sleep := r.clock(), r.sleeper()
	interval := defaultInterval
	if da.Interval > 0 && da.Interval < 3600 {
		interval = time.Duration(da.Interval) * time.Second
	}
	deadline := deviceDeadline(now, da)
	secrets := r.client().Secrets().With(da.DeviceCode)
	wait, failures := interval, 0
	for {
		if err := sleep(ctx, wait); err != nil {
			if ctx.Err() != nil {
				return nil, unfinished(ctx)
			}
			return nil, fmt.Errorf("login did not finish: %w", err)
		}
		if !deadline.IsZero() && !now().Before(deadline) {
			return nil, errDeviceExpired
		}
		tok, err := pollOnce(ctx, r, da.DeviceCode)
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, unfinished(ctx)
		}
		var te *transportError
		if errors.As(err, &te) {
			failures++
			if failures >= maxNetworkErrors {
				return nil, fmt.Errorf("cannot reach the token endpoint: %w", err)
			}
			wait = min(interval<<failures, maxNetworkBackoff)
			continue
		}
		failures, wait = 0, interval
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			return nil, TokenEndpointError(err, secrets)
		}
		if wire.Transient(err) {
			// HTTP 429 or 5xx (JSON or a gateway's HTML page),
			// temporarily_unavailable, server_error: the server's
			// Retry-After (capped), else back off as for slow_down.
			if ra, ok := retryAfter(re, now()); ok {
				wait = max(ra, interval)
			} else {
				interval += slowDownStep
				wait = interval
			}
			continue
		}
		switch re.ErrorCode {
		case "authorization_pending":
		case "slow_down":
			interval += slowDownStep
			wait = interval
		case "access_denied":
			return nil, errDeviceDenied
		case "expired_token":
			return nil, errDeviceExpired
		default:
			return nil, TokenEndpointError(err, secrets)
		}
	}
}

func retryAfter(re *oauth2.RetrieveError, now time.Time) (time.Duration, bool) {
	if re.Response == nil {
		return 0, false
	}
	return wire.RetryAfter(re.Response.Header, now)
}

// deviceAuthAttempts bounds the device authorization requests sent to a
// busy provider.
const deviceAuthAttempts = 3

// deviceAuthRetrying sends the device authorization request again when the
// provider answers that it is busy (HTTP 429 or 5xx,
// temporarily_unavailable): after its Retry-After (capped at a minute),
// else after 5 seconds, at most deviceAuthAttempts times in all. A network
// failure is not retried: nothing answered.
func deviceAuthRetrying(ctx context.Context, r *Request, params map[string]string) (*oauth2.DeviceAuthResponse, error) {
	now, sleep := r.clock(), r.sleeper()
	for attempt := 1; ; attempt++ {
		da, err := deviceAuth(ctx, r, params)
		var re *oauth2.RetrieveError
		if err == nil || attempt == deviceAuthAttempts || !errors.As(err, &re) || !wire.Transient(err) {
			return da, err
		}
		wait := wire.RetryAfterOf(err, now())
		if wait == 0 {
			wait = slowDownStep
		}
		if sleep(ctx, wait) != nil {
			return nil, err
		}
	}
}
