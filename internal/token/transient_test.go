package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/tokerr"
)

// README, "Transient failures never withhold a valid token": an early
// refresh that fails for a reason that may pass hands out the still-valid
// token with a warning; a refusal, an expired token and `tok refresh` fail.
func TestTransientRefreshKeepsValidToken(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		ctype    string
		body     string
		ttl      time.Duration
		force    bool
		wantKept bool
		wantCode tokerr.Code // tokerr code when not kept; 0 = plain failure
		wantWarn string
	}{
		{"503 html", 503, "text/html", "<p>down", 45 * time.Second, false, true, 0,
			"could not refresh dex (token endpoint returned an unexpected response (HTTP 503, text/html)); using the current token, valid for 45s"},
		{"429 json", 429, "application/json", `{"error":"temporarily_unavailable"}`, 45 * time.Second, false, true, 0, "temporarily_unavailable"},
		{"server_error with 400", 400, "application/json", `{"error":"server_error"}`, 45 * time.Second, false, true, 0, "server_error"},
		{"invalid_grant", 400, "application/json", `{"error":"invalid_grant"}`, 45 * time.Second, false, false, tokerr.LoginNeeded, ""},
		{"invalid_grant under a 503", 503, "application/json", `{"error":"invalid_grant"}`, 45 * time.Second, false, false, tokerr.LoginNeeded, ""},
		{"expired token", 503, "text/html", "<p>down", -time.Second, false, false, 0, ""},
		{"tok refresh", 503, "text/html", "<p>down", 45 * time.Second, true, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			f := newFixture(t, srv.URL)
			var warned []string
			f.m.Warn = func(s string) { warned = append(warned, s) }
			f.save(t, "at1", "rt1", tt.ttl)
			var err error
			if tt.force {
				_, err = f.m.Refresh(context.Background(), f.tgt, f.p)
			} else {
				got, ferr := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
				err = ferr
				if ferr == nil && got.AccessToken != "at1" {
					t.Fatalf("handed out %q", got.AccessToken)
				}
			}
			if tt.wantKept {
				if err != nil {
					t.Fatalf("err = %v, want the current token", err)
				}
				if len(warned) != 1 || !strings.Contains(warned[0], tt.wantWarn) {
					t.Fatalf("warnings %q, want one with %q", warned, tt.wantWarn)
				}
				return
			}
			if err == nil {
				t.Fatal("succeeded, want a failure")
			}
			var te *tokerr.Error
			var code tokerr.Code
			if errors.As(err, &te) {
				code = te.Code
			}
			if code != tt.wantCode || len(warned) != 0 {
				t.Fatalf("err = %v (code %d), warned %q; want code %d, no warning", err, code, warned, tt.wantCode)
			}
		})
	}
}

// A network failure is transient too.
func TestUnreachableRefreshKeepsValidToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	f := newFixture(t, srv.URL)
	var warned []string
	f.m.Warn = func(s string) { warned = append(warned, s) }
	f.save(t, "at1", "rt1", 45*time.Second)
	rec, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if err != nil || rec.AccessToken != "at1" || len(warned) != 1 {
		t.Fatalf("rec %v err %v warned %q", rec, err, warned)
	}
}

// README, default_ttl: a response without expires_in gets default_ttl when
// tok can renew it, is used until rejected when it cannot, and the record
// remembers that the lifetime was not given.
func TestMissingExpiresIn(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		flow       string
		defaultTTL time.Duration
		wantExpiry time.Duration // 0 = none
	}{
		{"refresh token, default 1h", `{"access_token":"at2","token_type":"Bearer","refresh_token":"rt2"}`, config.FlowBrowser, 0, time.Hour},
		{"refresh token, default_ttl 10m", `{"access_token":"at2","token_type":"Bearer","refresh_token":"rt2"}`, config.FlowBrowser, 10 * time.Minute, 10 * time.Minute},
		{"no new refresh token: the old one still renews", `{"access_token":"at2","token_type":"Bearer"}`, config.FlowBrowser, 0, time.Hour},
		{"client credentials", `{"access_token":"at2","token_type":"Bearer"}`, config.FlowClientCredentials, 0, time.Hour},
		{"expires_in 0 means not said", `{"access_token":"at2","token_type":"Bearer","expires_in":0}`, config.FlowClientCredentials, 0, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var forms []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				forms = append(forms, r.PostForm.Encode())
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			f := newFixture(t, srv.URL)
			f.p.Flow, f.p.DefaultTTL, f.p.ClientSecret = tt.flow, tt.defaultTTL, "s"
			f.p.TokenParams = map[string]string{"audience": "https://api.example.com/"}
			if tt.flow == config.FlowBrowser {
				f.save(t, "at1", "rt1", 30*time.Second)
			}
			rec, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if !rec.ExpiryUnknown || !rec.Expiry.Equal(f.now.Add(tt.wantExpiry)) {
				t.Fatalf("expiry %v unknown %v, want %v from now", rec.Expiry, rec.ExpiryUnknown, tt.wantExpiry)
			}
			// token_params go on refreshes and client credentials alike.
			if len(forms) != 1 || !strings.Contains(forms[0], "audience=https%3A%2F%2Fapi.example.com%2F") {
				t.Fatalf("forms %q, want audience", forms)
			}
			// Within the assumed lifetime no request; past min-ttl of it, one.
			if _, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute); err != nil || len(forms) != 1 {
				t.Fatalf("second Fresh: err %v, %d requests", err, len(forms))
			}
			if _, err := f.m.Fresh(context.Background(), f.tgt, f.p, 24*time.Hour); err != nil || len(forms) != 2 {
				t.Fatalf("--min-ttl 24h: err %v, %d requests", err, len(forms))
			}
		})
	}
}
