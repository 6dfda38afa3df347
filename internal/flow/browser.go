package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// doneGrace is how long the listener stays up after the callback so the
// browser can follow the redirect to the page that says how the login ended.
const doneGrace = 3 * time.Second

// Browser runs the authorization code flow with PKCE (RFC 7636, S256) and a
// random state, receiving the code on a loopback redirect URI (RFC 8252 §7.3)
// or, with NoBrowser, from a redirect URL pasted on Stdin.
func Browser(ctx context.Context, r Request) (*oauth2.Token, error) {
	if r.OAuth.Endpoint.AuthURL == "" || r.OAuth.Endpoint.TokenURL == "" {
		return nil, errors.New("provider has no authorization or token endpoint for the browser flow")
	}
	authOpts, err := paramOptions("auth_params", r.AuthParams, reservedAuthParams)
	if err != nil {
		return nil, err
	}
	tokenOpts, err := paramOptions("token_params", r.TokenParams, reservedTokenParams)
	if err != nil {
		return nil, err
	}
	ln, err := listenLoopback(r.RedirectPort)
	if err != nil {
		return nil, err
	}
	host := ln.Addr().String() // 127.0.0.1:PORT
	conf := r.OAuth
	conf.RedirectURL = "http://" + host + "/callback"

	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier() // 32 random bytes, base64url
	authURL := conf.AuthCodeURL(state, append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, authOpts...)...)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cb := newCallback(state, r.Issuer, r.RequireIss, host)
	cb.target, cb.note = r.Target, r.note
	srv := &http.Server{
		Handler:           cb.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go srv.Serve(ln)
	defer shutdown(srv)

	exited, err := announce(&r, authURL)
	if err != nil {
		return nil, err
	}
	if r.NoBrowser && r.Stdin != nil {
		go cb.readPasted(ctx, r.Stdin, r.warn)
	}
	r.note("waiting for the browser; Ctrl-C to cancel")

	var got outcome
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			cb.finish(ctx.Err())
			return nil, unfinished(ctx)
		case err := <-exited:
			// A person can still open the URL: say so once, keep waiting.
			if err != nil {
				r.warn("%s; open the URL above yourself", wire.Clean(err.Error(), 200))
			}
			exited = nil
		case got = <-cb.result:
			waiting = false
		}
	}
	if got.err != nil {
		return nil, cb.end(ctx, got, got.err)
	}
	tok, err := conf.Exchange(r.httpContext(ctx), got.code,
		append([]oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, tokenOpts...)...)
	switch {
	case err != nil && ctx.Err() != nil:
		err = unfinished(ctx)
	case err != nil:
		err = TokenEndpointError(err, r.client().Secrets().With(got.code, verifier))
	default:
		err = CheckBearer(tok, r.client().Secrets().With(got.code, verifier)...)
	}
	if err := cb.end(ctx, got, err); err != nil {
		return nil, err
	}
	return tok, nil
}

// end records how the flow ended and, when the redirect came through the
// browser, gives it a moment to fetch the page that says so.
func (c *callback) end(ctx context.Context, got outcome, err error) error {
	c.finish(err)
	if got.viaBrowser {
		c.waitDone(ctx, doneGrace)
	}
	return err
}

func listenLoopback(port int) (net.Listener, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case port != 0 && errors.Is(err, syscall.EADDRINUSE):
		e := &tokerr.Error{Code: tokerr.Failure, Msg: fmt.Sprintf("redirect port %d is in use", port), Err: err}
		return nil, e.WithHint("stop what holds port %d, or set redirect_port: 0 to use any free port if the provider allows it", port)
	default:
		return nil, fmt.Errorf("cannot listen for the login redirect on %s: %w", addr, err)
	}
}

// announce shows authURL and hands it to the browser opener, returning
// where the opener's end will be told (nil: nowhere). Only a
// *BrowserError from the opener ends the login; any other failure leaves
// the URL for the user to open.
func announce(r *Request, authURL string) (<-chan error, error) {
	if r.ShowURL != nil {
		r.ShowURL(AuthURL{URL: authURL, Opening: !r.NoBrowser, Pasteable: r.NoBrowser && r.Stdin != nil})
	}
	if r.NoBrowser || r.OpenBrowser == nil {
		return nil, nil
	}
	exited, err := r.OpenBrowser(authURL)
	var be *BrowserError
	if errors.As(err, &be) {
		return nil, err
	}
	if err != nil {
		r.warn("could not open a browser: %s; open the URL above yourself", wire.Clean(err.Error(), 200))
	}
	return exited, nil
}

// BrowserError, returned by Request.OpenBrowser, ends the login at once:
// the configured browser can never open, so waiting for the redirect would
// only run into the timeout. Err is the reason.
type BrowserError struct{ Err error }

func (e *BrowserError) Error() string { return e.Err.Error() }
func (e *BrowserError) Unwrap() error { return e.Err }

func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		srv.Close()
	}
}
