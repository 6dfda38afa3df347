package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

const canary = "CANARY-refresh-9d2c"

// TestRefreshHostile sends a refresh to token endpoints that misbehave.
// Each must end in one clean line with the README "Exit status" code, no byte of
// the body beyond an RFC 6749 §5.2 error code, and the stored login left
// exactly as it was.
func TestRefreshHostile(t *testing.T) {
	big := strings.Repeat(canary, 1<<16)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantErr     string
		wantCode    tokerr.Code
	}{
		{"rejected", 400, "application/json", `{"error":"invalid_grant","debug":"` + canary + `"}`,
			"no usable login for dex: the provider rejected the refresh: token endpoint refused the request: invalid_grant", tokerr.LoginNeeded},
		{"rejected inside 200", 200, "application/json", `{"error":"invalid_grant","access_token":"` + canary + `"}`,
			"no usable login for dex: the provider rejected the refresh: token endpoint refused the request: invalid_grant", tokerr.LoginNeeded},
		{"html error page", 502, "text/html", "<html>" + canary + "</html>",
			"refreshing dex: token endpoint returned an unexpected response (HTTP 502, text/html)", tokerr.Failure},
		{"html 200", 200, "text/html", "<html>" + canary + "</html>",
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"not json", 200, "application/json", canary,
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"text", 200, "text/plain", canary,
			"refreshing dex: token endpoint returned no access_token", tokerr.Failure},
		{"over 1 MiB", 200, "application/json", `{"access_token":"` + big + `"}`,
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"error over 1 MiB", 400, "application/json", `{"error":"invalid_grant","x":"` + big + `"}`,
			"no usable login for dex: the provider rejected the refresh: token endpoint returned an unexpected response (HTTP 400, application/json)", tokerr.LoginNeeded},
		{"no access_token", 200, "application/json", `{"refresh_token":"` + canary + `"}`,
			"refreshing dex: token endpoint returned no access_token", tokerr.Failure},
		{"numeric access_token", 200, "application/json", `{"access_token":42,"refresh_token":"` + canary + `"}`,
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"not bearer", 200, "application/json", `{"access_token":"` + canary + `","token_type":"N_A","refresh_token":"` + canary + `"}`,
			"token endpoint returned token_type N_A, tok only handles Bearer", tokerr.Failure},
		{"negative expires_in", 200, "application/json", `{"access_token":"` + canary + `","expires_in":-1,"refresh_token":"` + canary + `"}`,
			"token endpoint returned a negative expires_in", tokerr.Failure},
		{"redirect", 307, "text/html", `<a href="/elsewhere">` + canary + `</a>`,
			"refreshing dex: token endpoint returned an unexpected response (HTTP 307, text/html)", tokerr.Failure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				if tt.status == 307 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			f := newFixture(t, srv.URL+"/token")
			// As tok's own client does (internal/cli): no redirects for
			// token requests.
			f.m.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			f.save(t, "at1", "rt1", -time.Minute)
			_, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
			checkRefreshFailed(t, f, err, tt.wantErr, tt.wantCode)
		})
	}
}

func checkRefreshFailed(t *testing.T, f *fixture, err error, want string, code tokerr.Code) {
	t.Helper()
	if err == nil {
		t.Fatal("refresh succeeded")
	}
	if msg := err.Error(); msg != want {
		t.Errorf("err = %q\nwant  %q", msg, want)
	}
	if got := tokerr.ExitCode(err); got != int(code) {
		t.Errorf("exit status %d, want %d", got, code)
	}
	if strings.Contains(err.Error(), canary) || strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("error is not one clean line without the body: %q", err)
	}
	rec, lerr := f.st.Load(context.Background(), "dex", "default")
	if lerr != nil || rec.AccessToken != "at1" || rec.RefreshToken != "rt1" {
		t.Errorf("the stored login changed: %+v %v", rec, lerr)
	}
}

// A token endpoint that never answers is bounded by the HTTP client's
// timeout (30s in tok, shorter here).
func TestRefreshServerNeverAnswers(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	f := newFixture(t, srv.URL+"/token")
	f.m.HTTP = &http.Client{Timeout: 100 * time.Millisecond}
	f.save(t, "at1", "rt1", -time.Minute)
	start := time.Now()
	_, err := f.m.Refresh(context.Background(), f.tgt, f.p)
	if time.Since(start) > 10*time.Second {
		t.Errorf("refresh took %s", time.Since(start))
	}
	checkRefreshFailed(t, f, err, "refreshing dex: token endpoint did not answer in time", tokerr.Failure)
}

// The same for a token endpoint that answers the headers and then
// trickles the body forever.
func TestRefreshServerStallsBody(t *testing.T) {
	hang := make(chan struct{})
	var started atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Store(true)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"`+canary)
		w.(http.Flusher).Flush()
		<-hang
	}))
	defer srv.Close()
	defer close(hang)
	f := newFixture(t, srv.URL+"/token")
	f.m.HTTP = &http.Client{Timeout: 200 * time.Millisecond}
	f.save(t, "at1", "rt1", -time.Minute)
	_, err := f.m.Refresh(context.Background(), f.tgt, f.p)
	if !started.Load() {
		t.Fatal("no request")
	}
	if err == nil {
		t.Fatal("refresh succeeded")
	}
	if tokerr.ExitCode(err) != int(tokerr.Failure) || strings.Contains(err.Error(), canary) || strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("err = %q (exit %d)", err, tokerr.ExitCode(err))
	}
}

// echoServer is an authorization server whose token and revocation
// endpoints refuse every request with a description that repeats each
// secret the request carried, as sent and URL-encoded, and the HTTP Basic
// credentials. Its metadata offers token exchange (RFC 8693).
func echoServer(t *testing.T) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/.well-known/openid-configuration" {
			json.NewEncoder(w).Encode(map[string]any{
				"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
				"revocation_endpoint":   srv.URL + "/revoke",
				"grant_types_supported": []string{"authorization_code", "refresh_token", "client_credentials", GrantTokenExchange},
			})
			return
		}
		r.ParseForm()
		var echo []string
		for _, k := range []string{"refresh_token", "subject_token", "token", "client_secret"} {
			if v := r.PostForm.Get(k); v != "" {
				echo = append(echo, k+"="+v, url.QueryEscape(v))
			}
		}
		echo = append(echo, r.Header.Get("Authorization"))
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": strings.Join(echo, " ")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A provider that echoes what tok sent in its refusal makes no secret of
// the request reach an error or a warning (README "Promises"): the refresh
// token of a refresh or a narrowing refresh, the subject token of a token
// exchange, the token being revoked, the client secret of each.
func TestProviderEchoesSecrets(t *testing.T) {
	const (
		rt     = canary + "/rt+="
		at     = canary + "-at"
		secret = canary + "/secret+= x"
	)
	tests := []struct {
		name, method string
		run          func(*fixture) error
	}{
		{"refresh", "", func(f *fixture) error {
			_, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
			return err
		}},
		{"refresh, client_secret_post", wire.AuthPost, func(f *fixture) error {
			_, err := f.m.Refresh(context.Background(), f.tgt, f.p)
			return err
		}},
		{"narrowing refresh", "", func(f *fixture) error {
			_, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"api"}, time.Minute)
			return err
		}},
		{"token exchange", wire.AuthPost, func(f *fixture) error {
			f.p.TokenExchange = true
			// The subject token must be valid, or it is refreshed first.
			f.saveRecord(t, &store.Record{AccessToken: at, RefreshToken: rt, Expiry: f.now.Add(time.Hour), Scopes: []string{"openid", "api"}})
			_, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"api"}, time.Minute)
			return err
		}},
		{"client credentials", "", func(f *fixture) error {
			f.p.Flow = config.FlowClientCredentials
			_, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
			return err
		}},
		{"revocation", wire.AuthPost, func(f *fixture) error {
			_, err := f.m.Logout(context.Background(), f.tgt, f.p, true)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := echoServer(t)
			f := newFixture(t, "")
			f.p.Issuer, f.p.TokenURL, f.p.AuthURL = srv.URL, "", ""
			f.p.ClientSecret, f.p.TokenAuthMethod = secret, tt.method
			var warnings []string
			f.m.Warn = func(msg string) { warnings = append(warnings, msg) }
			f.saveRecord(t, &store.Record{AccessToken: at, RefreshToken: rt, Expiry: f.now.Add(-time.Minute), Scopes: []string{"openid", "api"}})
			err := tt.run(f)
			out := strings.Join(warnings, "\n")
			if err != nil {
				out += "\n" + err.Error()
			}
			if strings.TrimSpace(out) == "" {
				t.Fatal("no error and no warning")
			}
			if tt.name != "revocation" && !strings.Contains(out, wire.Redacted) {
				t.Errorf("%q: the echo did not reach the message, the test proves nothing", out)
			}
			for _, s := range []string{canary, url.QueryEscape(rt), url.QueryEscape(secret),
				base64.StdEncoding.EncodeToString([]byte("tok-public:" + url.QueryEscape(secret)))} {
				if strings.Contains(out, s) {
					t.Errorf("%q\nshows %q", out, s)
				}
			}
		})
	}
}

func (f *fixture) saveRecord(t *testing.T, rec *store.Record) {
	t.Helper()
	if err := f.st.Save(context.Background(), "dex", "default", rec); err != nil {
		t.Fatal(err)
	}
}
