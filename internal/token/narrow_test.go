package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// saveGrant stores a login granted scopes, valid for an hour.
func (f *fixture) saveGrant(t *testing.T, scopes ...string) {
	rec := &store.Record{AccessToken: "at1", RefreshToken: "rt1", Expiry: f.now.Add(time.Hour), ObtainedAt: f.now, Scopes: scopes}
	if err := f.st.Save(context.Background(), "dex", "default", rec); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) login(t *testing.T) *store.Record {
	rec, err := f.st.Load(context.Background(), "dex", "default")
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// exchangeServer is an authorization server whose metadata lists the RFC
// 8693 grant and whose token endpoint checks every parameter of RFC 8693
// §2.1 that a narrowing exchange sends.
func exchangeServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/.well-known/openid-configuration" {
			json.NewEncoder(w).Encode(map[string]any{
				"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
				"grant_types_supported": []string{"authorization_code", "refresh_token", GrantTokenExchange},
			})
			return
		}
		calls.Add(1)
		r.ParseForm()
		want := map[string]string{
			"grant_type":           GrantTokenExchange,
			"subject_token":        "at1",
			"subject_token_type":   TokenTypeAccess,
			"requested_token_type": TokenTypeAccess,
			"scope":                "api",
			"client_id":            "tok-public",
		}
		for k, v := range want {
			if got := r.PostForm.Get(k); got != v {
				w.WriteHeader(400)
				json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": k + " is " + got})
				return
			}
		}
		for _, k := range []string{"refresh_token", "actor_token", "actor_token_type", "audience", "resource"} {
			if r.PostForm.Has(k) {
				w.WriteHeader(400)
				json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "unexpected " + k})
				return
			}
		}
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": "xt1", "issued_token_type": TokenTypeAccess, "token_type": "Bearer", "expires_in": 600, "scope": "api",
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestNarrowedByTokenExchange(t *testing.T) {
	srv, calls := exchangeServer(t)
	f := newFixture(t, "")
	f.p.Issuer, f.p.TokenURL, f.p.AuthURL, f.p.TokenExchange = srv.URL, "", "", true
	f.saveGrant(t, "openid", "api", "admin")
	for range 3 {
		rec, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"api"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if rec.AccessToken != "xt1" || !slices.Equal(rec.Scopes, []string{"api"}) || !rec.Expiry.Equal(f.now.Add(600*time.Second)) {
			t.Fatalf("narrowed record %+v", rec)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d exchanges, want 1 (cached per scope set)", calls.Load())
	}
	if l := f.login(t); l.AccessToken != "at1" || l.RefreshToken != "rt1" || len(l.Scopes) != 3 {
		t.Errorf("the login changed: %+v", l)
	}
}

func TestNarrowedByRefreshWithoutTokenExchange(t *testing.T) {
	srv, calls := exchangeServer(t)
	f := newFixture(t, "")
	f.p.Issuer, f.p.TokenURL, f.p.AuthURL = srv.URL, "", "" // token_exchange not set
	f.saveGrant(t, "openid", "api")
	_, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"api"}, time.Minute)
	if err == nil || calls.Load() != 1 {
		t.Fatalf("without token_exchange: true tok must refresh, which this server refuses; err=%v calls=%d", err, calls.Load())
	}
}

func TestNarrowedRefresh(t *testing.T) {
	var forms []map[string]string
	srv, _ := tokenServer(t, func(form map[string]string) (int, map[string]any) {
		forms = append(forms, form)
		next := fmt.Sprintf("rt%d", len(forms)+1)
		return 200, map[string]any{"access_token": "nt-" + strings.ReplaceAll(form["scope"], " ", "-"), "token_type": "Bearer", "expires_in": 600, "refresh_token": next, "scope": form["scope"]}
	})
	f := newFixture(t, srv.URL)
	f.saveGrant(t, "openid", "email", "api")
	rec, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"email", "openid"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 6749 §6: a refresh with scope.
	if f := forms[0]; f["grant_type"] != "refresh_token" || f["scope"] != "email openid" || f["refresh_token"] != "rt1" {
		t.Errorf("refresh request %v", f)
	}
	if rec.AccessToken != "nt-email-openid" || rec.RefreshToken != "" {
		t.Errorf("narrowed record %+v", rec)
	}
	// The rotated refresh token replaced the login's; its access token is
	// no longer trusted (strict rotation may have ended it).
	l := f.login(t)
	if l.RefreshToken != "rt2" || l.TTL(f.now) > 0 || len(l.Scopes) != 3 {
		t.Errorf("login after a rotating narrowing: %+v", l)
	}
	// A plain refresh uses rt2 again: the narrowed token that came with
	// rt2 is dropped from the cache.
	if _, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.m.loadNarrowed(context.Background(), f.tgt); len(c) != 0 {
		t.Errorf("cache after the refresh token it came with was used: %v", c)
	}
}

func TestNarrowedBroaderRefused(t *testing.T) {
	srv, _ := tokenServer(t, func(map[string]string) (int, map[string]any) {
		return 200, map[string]any{"access_token": "broad", "token_type": "Bearer", "expires_in": 600, "refresh_token": "rt2", "scope": "openid email"}
	})
	f := newFixture(t, srv.URL)
	f.saveGrant(t, "openid", "email")
	rec, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"openid"}, time.Minute)
	if !errors.Is(err, ErrNotNarrowed) || rec != nil || tokerr.ExitCode(err) != 1 {
		t.Fatalf("rec=%v err=%v", rec, err)
	}
	if want := "the provider does not narrow scopes: dex asked for openid and got email as well; the token was not handed out"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if c, _ := f.m.loadNarrowed(context.Background(), f.tgt); len(c) != 0 {
		t.Error("the broader token was cached")
	}
	if l := f.login(t); l.RefreshToken != "rt2" {
		t.Errorf("the rotated refresh token was lost: %+v", l)
	}
}

func TestNarrowedNotGranted(t *testing.T) {
	srv, calls := tokenServer(t, func(map[string]string) (int, map[string]any) { return 500, nil })
	f := newFixture(t, srv.URL)
	f.saveGrant(t, "openid")
	_, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"openid", "admin"}, time.Minute)
	if tokerr.ExitCode(err) != int(tokerr.Usage) || err.Error() != "dex was not granted admin (granted: openid)" || calls.Load() != 0 {
		t.Fatalf("err=%v (exit %d), calls=%d", err, tokerr.ExitCode(err), calls.Load())
	}
}

// FuzzTokenExchangeResponse feeds RFC 8693 §2.2 answers to the parser: it
// must never panic, and whatever it accepts is a Bearer token no broader
// than what the answer said.
func FuzzTokenExchangeResponse(f *testing.F) {
	f.Add([]byte(`{"access_token":"xt1","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":600,"scope":"api"}`))
	f.Add([]byte(`{"access_token":"xt1","token_type":"N_A","expires_in":"60"}`))
	f.Add([]byte(`{"error":"invalid_target","error_description":"\u001b[31m"}`))
	f.Add([]byte(`{"access_token":"x y","issued_token_type":"urn:ietf:params:oauth:token-type:id_token"}`))
	f.Add([]byte(`{"error":"at1","error_description":"subject_token=at1 a\u001bt1"}`))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &Manager{Now: func() time.Time { return now }}
	login := &store.Record{AccessToken: "at1", Expiry: now.Add(time.Hour)}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r exchangeResponse
		if json.Unmarshal(b, &r) != nil {
			return
		}
		rec, err := m.exchangeRecord(Target{Provider: "dex", Account: "default"}, &r, []string{"api"}, login, wire.Secrets{login.AccessToken})
		if err != nil {
			// The subject token the provider may echo is never shown.
			if strings.Contains(err.Error(), login.AccessToken) {
				t.Fatalf("error shows the subject token: %v", err)
			}
			return
		}
		if rec.AccessToken == "" || rec.RefreshToken != "" || rec.TokenType != "Bearer" {
			t.Fatalf("accepted %+v", rec)
		}
	})
}

// README "Transient failures never withhold a valid token": a cached
// narrowed token with less than minTTL left is handed out, with a warning,
// when the provider cannot mint a new one for a reason that may pass; a
// refusal still fails.
func TestNarrowedTransientKeepsCachedToken(t *testing.T) {
	status := 200
	srv, _ := tokenServer(t, func(form map[string]string) (int, map[string]any) {
		switch status {
		case 503:
			return status, map[string]any{"error": "temporarily_unavailable"}
		case 400:
			return status, map[string]any{"error": "invalid_grant"}
		}
		return 200, map[string]any{"access_token": "nt1", "token_type": "Bearer", "expires_in": 600, "scope": form["scope"]}
	})
	f := newFixture(t, srv.URL)
	var warned []string
	f.m.Warn = func(s string) { warned = append(warned, s) }
	f.saveGrant(t, "openid", "email")
	if _, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"email"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	status = 503
	rec, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"email"}, time.Hour)
	if err != nil || rec.AccessToken != "nt1" || len(warned) != 1 || !strings.Contains(warned[0], "using the current token") {
		t.Fatalf("rec %v err %v warned %q; want nt1 with one warning", rec, err, warned)
	}
	status = 400
	if _, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"email"}, time.Hour); err == nil {
		t.Fatal("a refused narrowing handed out a token")
	}
}

// mintFirst is a Locker under which another process mints the narrowed
// token while this one waits for the lock.
type mintFirst struct {
	Locker
	other func()
}

func (l *mintFirst) Lock(ctx context.Context, key string) (func(), error) {
	if l.other != nil {
		other := l.other
		l.other = nil
		other()
	}
	return l.Locker.Lock(ctx, key)
}

// README "print": concurrent runs send at most one refresh request. A
// process that waited while another minted the narrowed token takes that
// token, even with less than minTTL left, instead of minting again; also
// when the cache held no entry when it started.
func TestNarrowedWaiterTakesTokenMintedMeanwhile(t *testing.T) {
	srv, calls := tokenServer(t, func(form map[string]string) (int, map[string]any) {
		return 200, map[string]any{"access_token": "nt1", "token_type": "Bearer", "expires_in": 600, "scope": form["scope"]}
	})
	f := newFixture(t, srv.URL)
	f.saveGrant(t, "openid", "email")
	l := &mintFirst{Locker: f.m.Locks}
	l.other = func() {
		if _, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"email"}, time.Hour); err != nil {
			t.Error(err)
		}
	}
	f.m.Locks = l
	rec, err := f.m.Narrowed(context.Background(), f.tgt, f.p, []string{"email"}, time.Hour)
	if err != nil || rec.AccessToken != "nt1" || calls.Load() != 1 {
		t.Fatalf("rec %v err %v, %d token requests; want nt1 from one request", rec, err, calls.Load())
	}
}
