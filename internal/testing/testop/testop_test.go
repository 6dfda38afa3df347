package testop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

type discovery struct {
	Issuer              string   `json:"issuer"`
	AuthURL             string   `json:"authorization_endpoint"`
	TokenURL            string   `json:"token_endpoint"`
	DeviceAuthURL       string   `json:"device_authorization_endpoint"`
	RevocationURL       string   `json:"revocation_endpoint"`
	GrantTypes          []string `json:"grant_types_supported"`
	CodeChallengeMethod []string `json:"code_challenge_methods_supported"`
}

func start(t *testing.T, opts Options) (*Server, discovery) {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	resp, err := http.Get(s.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d discovery
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return s, d
}

func publicConfig(d discovery, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: PublicClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:       d.AuthURL,
			TokenURL:      d.TokenURL,
			DeviceAuthURL: d.DeviceAuthURL,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      []string{"openid", "offline_access", "email"},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestDiscovery(t *testing.T) {
	s, d := start(t, Options{})
	if !strings.HasPrefix(s.Issuer, "http://127.0.0.1:") || d.Issuer != s.Issuer {
		t.Errorf("issuer %q, discovery says %q", s.Issuer, d.Issuer)
	}
	if d.RevocationURL != s.Issuer+"/revoke" || d.DeviceAuthURL != s.Issuer+"/device_authorization" {
		t.Errorf("revocation %q, device %q", d.RevocationURL, d.DeviceAuthURL)
	}
	for _, g := range []string{"authorization_code", "refresh_token", "client_credentials", deviceGrant} {
		if !slices.Contains(d.GrantTypes, g) {
			t.Errorf("grant_types_supported %v lacks %s", d.GrantTypes, g)
		}
	}
	if !slices.Contains(d.CodeChallengeMethod, "S256") {
		t.Errorf("code_challenge_methods_supported %v lacks S256", d.CodeChallengeMethod)
	}
}

// callback is the client's loopback redirect listener.
type callback struct {
	url   string
	codes chan url.Values
}

func listenCallback(t *testing.T) *callback {
	t.Helper()
	cb := &callback{codes: make(chan url.Values, 1)}
	cb.url = listenHandler(t, func(w http.ResponseWriter, r *http.Request) {
		cb.codes <- r.URL.Query()
		fmt.Fprint(w, "logged in, close this window")
	}) + "/callback"
	return cb
}

// listenHandler serves h on loopback and returns its base URL.
func listenHandler(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// login runs the authorization code flow with PKCE (RFC 7636) for alice.
func login(t *testing.T, d discovery) (*oauth2.Config, *oauth2.Token) {
	t.Helper()
	cb := listenCallback(t)
	conf := publicConfig(d, cb.url)
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier))
	status, body, err := Browse(ctx(t), authURL, User, Password)
	if err != nil || status != http.StatusOK || !strings.Contains(body, "logged in") {
		t.Fatalf("Browse: %d %q %v", status, body, err)
	}
	q := <-cb.codes
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	tok, err := conf.Exchange(ctx(t), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return conf, tok
}

func wantGrantError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != code {
		t.Fatalf("got error %v, want %s", err, code)
	}
}

func TestAuthCodeRefreshRotation(t *testing.T) {
	s, d := start(t, Options{AccessTTL: 30 * time.Second})
	conf, tok := login(t, d)
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("no refresh or id token: %+v", tok)
	}
	if ttl := time.Until(tok.Expiry); ttl <= 25*time.Second || ttl > 30*time.Second {
		t.Errorf("access token lives %v, want 30s", ttl)
	}

	first := tok.RefreshToken
	next, err := conf.TokenSource(ctx(t), &oauth2.Token{RefreshToken: first}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == first {
		t.Fatalf("refresh did not rotate: %+v", next)
	}
	_, err = conf.TokenSource(ctx(t), &oauth2.Token{RefreshToken: first}).Token()
	wantGrantError(t, err, "invalid_grant")
	if _, err := conf.TokenSource(ctx(t), &oauth2.Token{RefreshToken: next.RefreshToken}).Token(); err != nil {
		t.Fatalf("rotated token refused: %v", err)
	}

	if got := s.Count("authorization_code"); got != 1 {
		t.Errorf("authorization_code count %d, want 1", got)
	}
	if got := s.Count("refresh_token"); got != 3 {
		t.Errorf("refresh_token count %d, want 3", got)
	}
}

func TestBrowseWrongPassword(t *testing.T) {
	_, d := start(t, Options{})
	conf := publicConfig(d, listenCallback(t).url)
	_, _, err := Browse(ctx(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), User, "nope")
	if err == nil {
		t.Fatal("wrong password accepted")
	}
}

func TestBrowseRefusesNonLoopback(t *testing.T) {
	redirector := listenHandler(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.com/", http.StatusFound)
	})
	for _, u := range []string{"http://example.com/authorize", redirector} {
		_, _, err := Browse(ctx(t), u, User, Password)
		if err == nil || !strings.Contains(err.Error(), "non-loopback") {
			t.Errorf("%s: got %v", u, err)
		}
	}
}

func TestConcurrentRefreshRotatesOnce(t *testing.T) {
	s, d := start(t, Options{})
	conf, tok := login(t, d)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := conf.TokenSource(ctx(t), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			errs <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else {
			wantGrantError(t, err, "invalid_grant")
		}
	}
	if ok != 1 || s.Count("refresh_token") != n {
		t.Errorf("%d of %d refreshes succeeded, %d counted", ok, n, s.Count("refresh_token"))
	}
}

func TestUserinfo(t *testing.T) {
	_, d := start(t, Options{})
	conf, tok := login(t, d)
	resp, err := conf.Client(ctx(t), tok).Get(d.Issuer + "/userinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Sub   string `json:"sub"`
		Email string `json:"email"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || info.Sub != User || info.Email == "" {
		t.Fatalf("userinfo %+v, %v", info, err)
	}
}

func TestAnyLoopbackPort(t *testing.T) {
	_, d := start(t, Options{})
	for _, redirect := range []string{"http://127.0.0.1:1234/callback", "http://127.0.0.1:65000/callback"} {
		conf := publicConfig(d, redirect)
		req, _ := http.NewRequest(http.MethodGet, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login?") {
			t.Errorf("%s: redirected to %q, want the login page", redirect, loc)
		}
	}
}

func TestConfidentialAuthCode(t *testing.T) {
	_, d := start(t, Options{})
	cb := listenCallback(t)
	conf := &oauth2.Config{
		ClientID:     ConfidentialClientID,
		ClientSecret: ConfidentialClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: d.AuthURL, TokenURL: d.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL:  cb.url,
		Scopes:       []string{"openid", "offline_access"},
	}
	if _, _, err := Browse(ctx(t), conf.AuthCodeURL("s"), OtherUser, OtherPassword); err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Exchange(ctx(t), (<-cb.codes).Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
}

func TestDeviceFlow(t *testing.T) {
	for _, approve := range []bool{true, false} {
		t.Run(fmt.Sprint("approve=", approve), func(t *testing.T) {
			t.Parallel()
			s, d := start(t, Options{AccessTTL: 2 * time.Second})
			conf := publicConfig(d, "")
			da, err := conf.DeviceAuth(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if da.VerificationURI != s.Issuer+"/device" || da.Interval != 1 ||
				da.VerificationURIComplete != da.VerificationURI+"?user_code="+da.UserCode {
				t.Fatalf("device auth %+v", da)
			}
			approved := make(chan error, 1)
			go func() {
				// The user types the code, in any case, or opens the complete URI.
				uri, code := da.VerificationURI, strings.ToLower(da.UserCode)
				if !approve {
					uri, code = da.VerificationURIComplete, ""
				}
				approved <- ApproveDevice(ctx(t), uri, code, User, Password, approve)
			}()
			tok, err := conf.DeviceAccessToken(ctx(t), da)
			if err := <-approved; err != nil {
				t.Fatal(err)
			}
			if !approve {
				wantGrantError(t, err, "access_denied")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.RefreshToken == "" || time.Until(tok.Expiry) > 2*time.Second {
				t.Fatalf("token %+v", tok)
			}
			if _, err := conf.TokenSource(ctx(t), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
				t.Fatalf("refresh of a device token: %v", err)
			}
			if s.Count(deviceGrant) < 1 || s.Count("refresh_token") != 1 {
				t.Errorf("counts: device %d refresh %d", s.Count(deviceGrant), s.Count("refresh_token"))
			}
		})
	}
}

func TestApproveDeviceWrongCode(t *testing.T) {
	s, _ := start(t, Options{})
	if err := ApproveDevice(ctx(t), s.Issuer+"/device", "BCDF-GHJK", User, Password, true); err == nil {
		t.Fatal("unknown user code accepted")
	}
}

func revoke(t *testing.T, d discovery, form url.Values) {
	t.Helper()
	resp, err := http.PostForm(d.RevocationURL, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation: %s", resp.Status)
	}
}

func TestRevocation(t *testing.T) {
	s, d := start(t, Options{})
	conf, tok := login(t, d)
	revoke(t, d, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {PublicClientID}})
	_, err := conf.TokenSource(ctx(t), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	wantGrantError(t, err, "invalid_grant")
	// Revoking again, or an unknown token, still succeeds (RFC 7009, section 2.2).
	revoke(t, d, url.Values{"token": {tok.RefreshToken}, "client_id": {PublicClientID}})
	if got := s.Revocations(); got != 2 {
		t.Errorf("revocations %d, want 2", got)
	}
}

func TestDropRefreshTokens(t *testing.T) {
	s, d := start(t, Options{})
	conf, tok := login(t, d)
	s.DropRefreshTokens()
	_, err := conf.TokenSource(ctx(t), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	wantGrantError(t, err, "invalid_grant")
}

func TestClientCredentials(t *testing.T) {
	s, d := start(t, Options{AccessTTL: 30 * time.Second})
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		conf := &clientcredentials.Config{
			ClientID:     ConfidentialClientID,
			ClientSecret: ConfidentialClientSecret,
			TokenURL:     d.TokenURL,
			Scopes:       []string{"api"},
			AuthStyle:    style,
		}
		tok, err := conf.Token(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken == "" || tok.RefreshToken != "" || time.Until(tok.Expiry) > 30*time.Second {
			t.Errorf("token %+v", tok)
		}
		revoke(t, d, url.Values{"token": {tok.AccessToken}, "client_id": {ConfidentialClientID}, "client_secret": {ConfidentialClientSecret}})
	}
	bad := &clientcredentials.Config{ClientID: ConfidentialClientID, ClientSecret: "wrong", TokenURL: d.TokenURL, AuthStyle: oauth2.AuthStyleInHeader}
	_, err := bad.Token(ctx(t))
	wantGrantError(t, err, "invalid_client")
	if got := s.Count("client_credentials"); got != 3 {
		t.Errorf("client_credentials count %d, want 3", got)
	}
}

func TestPublicClientHasNoClientCredentials(t *testing.T) {
	_, d := start(t, Options{})
	conf := &clientcredentials.Config{ClientID: PublicClientID, TokenURL: d.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	if _, err := conf.Token(ctx(t)); err == nil {
		t.Fatal("public client got a client_credentials token")
	}
}
