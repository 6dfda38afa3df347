// Package flow runs tok's consent flows: the authorization code flow with
// PKCE in a browser, the device authorization grant, and client credentials.
// It leans on golang.org/x/oauth2 and writes by hand only what that lacks.
// It is protocol only: what the person sees (the URL to open, the device
// code, notes and warnings) is the caller's, through Request's ShowURL,
// DisplayCode, Note and Warn.
package flow

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

// Request is everything a consent flow needs. The zero values of the
// optional fields mean "don't": no browser opener, no stdin, no extra
// parameters.
type Request struct {
	OAuth        oauth2.Config     // ClientID, ClientSecret, Endpoint, Scopes; Browser sets RedirectURL
	Issuer       string            // expected RFC 9207 iss on the callback ("" = don't check its value)
	RequireIss   bool              // refuse a callback without iss
	AuthParams   map[string]string // extra authorization request parameters
	TokenParams  map[string]string // extra token request parameters (exchange and device polling)
	RedirectPort int               // 0 = any free port on 127.0.0.1
	NoBrowser    bool              // print the URL only; accept a pasted redirect URL on Stdin
	OpenBrowser  Opener            // nil = don't open
	Stdin        io.Reader         // pasted redirect URLs (may be nil)
	HTTPClient   *http.Client      // token endpoint calls
	Target       string            // what the login is for, shown on the browser's pages ("" = not named)
	Provider     string            // the provider's name in tok, for hints naming its settings ("" = not named)

	// Note and Warn, when set, tell the person something in passing: one
	// line each, without the "tok: " or "tok: warning: " the caller adds.
	Note, Warn func(msg string)

	// ShowURL shows the person the browser flow's authorization URL
	// before tok hands it to OpenBrowser; nil shows nothing.
	ShowURL func(AuthURL)

	// DisplayCode shows the device flow's user code to the person (RFC
	// 8628 §3.3) and returns a function that Device calls once polling
	// ends, however it ends (to clear a countdown, say). nil shows
	// nothing.
	DisplayCode func(DeviceCode) (done func())

	// Test seams: a clock and a context-aware sleep for the device flow.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// Opener hands url to the person's browser and returns once the opener
// has started, not when it ends: an opener may be the browser itself
// and run on. err means it could not start: a *BrowserError ends the
// login, any other is warned. exited, when not nil, later receives how
// the opener ended, once: nil for exit status 0, else the reason (its
// text fit to follow "tok: warning: "). Only that status counts: an
// opener such as xdg-open may exit before the browser has loaded
// anything.
type Opener func(url string) (exited <-chan error, err error)

// AuthURL is the browser flow's authorization request (RFC 6749 §4.1.1)
// as the person sees it.
type AuthURL struct {
	URL       string
	Opening   bool // tok hands it to the browser opener (no NoBrowser)
	Pasteable bool // tok reads the address the browser ends on from Stdin
}

// DeviceCode is what a person needs to approve a device login (RFC 8628
// §3.2), made safe to print: no control characters, bounded length.
type DeviceCode struct {
	UserCode        string // the code to enter, e.g. "WDJB-MJHT"
	VerificationURI string // where to enter it
	// VerificationURIComplete opens the page with the code filled in
	// (RFC 8628 §3.3.1); "" when the server sent none.
	VerificationURIComplete string
	// Expiry is when the code expires, on the Request's clock; zero when
	// the server gave no expires_in.
	Expiry time.Time
}

func (r *Request) note(format string, args ...any) {
	if r.Note != nil {
		r.Note(fmt.Sprintf(format, args...))
	}
}

func (r *Request) warn(format string, args ...any) {
	if r.Warn != nil {
		r.Warn(fmt.Sprintf(format, args...))
	}
}

func (r *Request) clock() func() time.Time {
	if r.now == nil {
		return time.Now
	}
	return r.now
}

func (r *Request) sleeper() func(context.Context, time.Duration) error {
	if r.sleep == nil {
		return sleepCtx
	}
	return r.sleep
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// unfinished is the error for a flow cut short by its context: a timeout
// or an interrupt. errors.Is finds context.Canceled or DeadlineExceeded.
func unfinished(ctx context.Context) error {
	return fmt.Errorf("login did not finish: %w", ctx.Err())
}

// httpContext makes oauth2 use r.HTTPClient for its requests.
func (r *Request) httpContext(ctx context.Context) context.Context {
	if r.HTTPClient == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, r.HTTPClient)
}

// client is how r's client authenticates, as r.OAuth says (its
// AuthStyle is fixed by the caller, never auto-detected).
func (r *Request) client() wire.Client {
	method := wire.AuthBasic
	if r.OAuth.Endpoint.AuthStyle == oauth2.AuthStyleInParams {
		method = wire.AuthPost
	}
	return wire.Client{ID: r.OAuth.ClientID, Secret: r.OAuth.ClientSecret, Method: method}
}

func (r *Request) httpClient() *http.Client {
	if r.HTTPClient == nil {
		return http.DefaultClient
	}
	return r.HTTPClient
}

// Parameters the flows set themselves; letting configuration override them
// would undo PKCE, state or the redirect URI check.
var (
	reservedAuthParams  = wire.ReservedAuthParams
	reservedTokenParams = wire.ReservedTokenParams
)

func paramOptions(kind string, params map[string]string, reserved []string) ([]oauth2.AuthCodeOption, error) {
	var opts []oauth2.AuthCodeOption
	for k, v := range params {
		for _, r := range reserved {
			if strings.EqualFold(k, r) {
				return nil, fmt.Errorf("%s may not set %q: tok sets it itself", kind, r)
			}
		}
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return opts, nil
}
