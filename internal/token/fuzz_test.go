package token

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzRefreshResponse refreshes a stored login against fuzzed token
// endpoint answers, through x/oauth2 as tok does. Either a usable record
// is stored, or the login stays as it was and the error is one clean line
// with exit status 1 or 4.
func FuzzRefreshResponse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"access_token":"at2","token_type":"Bearer","expires_in":3600,"refresh_token":"rt2","scope":"openid email"}`))
	f.Add(200, "application/json", []byte(`{"access_token":"at2","expires_in":"3600","id_token":5}`))
	f.Add(400, "application/json", []byte(`{"error":"invalid_grant","error_description":"gone"}`))
	f.Add(200, "application/json", []byte(`{"error":"invalid_grant"}`))
	f.Add(200, "application/x-www-form-urlencoded", []byte(`access_token=at2&expires_in=-5&scope=`))
	f.Add(503, "text/html", []byte(`<h1>down</h1>`))
	f.Add(200, "application/json", []byte(`{"access_token":"at2","expires_in":2147483648}`))
	// One fixture for all runs, with an in-memory store and no index: the
	// index's fsyncs would make each run take a disk's time.
	fx := &fixture{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), tgt: Target{Provider: "dex", Account: "default"}}
	fx.st = store.New(&memBackend{m: map[string][]byte{}}, nil)
	fx.p = &provider.Provider{}
	fx.p.Name, fx.p.ClientID, fx.p.TokenURL, fx.p.AuthURL, fx.p.Flow = "dex", "tok-public", "https://idp.example/token", "https://idp.example/auth", config.FlowBrowser
	var answer func() *http.Response
	hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return answer(), nil })}
	fx.m = &Manager{Store: fx.st, Locks: &FileLocker{Dir: f.TempDir()}, HTTP: hc,
		Discover: &provider.Discoverer{HTTP: hc, Now: time.Now}, Now: func() time.Time { return fx.now }}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		answer = func() *http.Response {
			return &http.Response{StatusCode: status, Status: http.StatusText(status),
				Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(bytes.NewReader(body))}
		}
		fx.save(t, "at1", "rt1", -time.Minute)
		rec, err := fx.m.Refresh(context.Background(), fx.tgt, fx.p)
		stored, lerr := fx.st.Load(context.Background(), "dex", "default")
		if lerr != nil {
			t.Fatalf("the stored login is unreadable after a refresh: %v", lerr)
		}
		if err != nil {
			msg := err.Error()
			for _, r := range msg {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Fatalf("error holds %U: %q", r, msg)
				}
			}
			if code := tokerr.ExitCode(err); code != 1 && code != 4 {
				t.Fatalf("exit %d for %q", code, msg)
			}
			if stored.AccessToken != "at1" || stored.RefreshToken != "rt1" {
				t.Fatalf("a failed refresh changed the login: %+v", stored)
			}
			return
		}
		if rec.AccessToken == "" || stored.AccessToken != rec.AccessToken || stored.RefreshToken == "" {
			t.Fatalf("refreshed to %+v, stored %+v", rec, stored)
		}
		if !rec.Expiry.IsZero() && rec.Expiry.Before(fx.now) {
			t.Fatalf("stored a token that expired before it arrived: %v", rec.Expiry)
		}
		for _, s := range rec.Scopes {
			if s == "" || strings.ContainsAny(s, " \t\n") {
				t.Fatalf("scope %q", s)
			}
		}
	})
}
