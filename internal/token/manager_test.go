package token

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// memBackend is an in-memory store.Backend.
type memBackend struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *memBackend) Get(_ context.Context, k string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[k]
	if !ok {
		return nil, store.ErrNotFound
	}
	return v, nil
}

func (b *memBackend) Set(_ context.Context, k string, v []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[k] = v
	return nil
}

func (b *memBackend) Delete(_ context.Context, k string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, k)
	return nil
}

func (b *memBackend) Name() string { return "memory" }

// tokenServer answers refresh requests with respond's document.
func tokenServer(t *testing.T, respond func(form map[string]string) (int, map[string]any)) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		r.ParseForm()
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		status, doc := respond(form)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

type fixture struct {
	m   *Manager
	st  *store.Store
	p   *provider.Provider
	now time.Time
	tgt Target
	// waits are the Manager's sleeps before asking a busy provider again:
	// recorded, not slept.
	waits []time.Duration
}

func newFixture(t *testing.T, tokenURL string) *fixture {
	f := &fixture{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), tgt: Target{Provider: "dex", Account: "default"}}
	f.st = store.New(&memBackend{m: map[string][]byte{}}, store.NewIndex(t.TempDir()))
	f.p = &provider.Provider{}
	f.p.Name, f.p.ClientID, f.p.TokenURL, f.p.AuthURL, f.p.Flow = "dex", "tok-public", tokenURL, tokenURL, config.FlowBrowser
	f.m = &Manager{
		Store: f.st, Locks: &FileLocker{Dir: t.TempDir()}, HTTP: http.DefaultClient,
		Discover: &provider.Discoverer{HTTP: http.DefaultClient, Now: func() time.Time { return f.now }},
		Now:      func() time.Time { return f.now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.waits = append(f.waits, d)
			return ctx.Err()
		},
	}
	return f
}

func (f *fixture) save(t *testing.T, access, refresh string, ttl time.Duration) {
	rec := &store.Record{AccessToken: access, RefreshToken: refresh, Expiry: f.now.Add(ttl), ObtainedAt: f.now, Scopes: []string{"openid"}}
	if err := f.st.Save(context.Background(), "dex", "default", rec); err != nil {
		t.Fatal(err)
	}
}

func TestFreshNeedsNoNetwork(t *testing.T) {
	srv, calls := tokenServer(t, func(map[string]string) (int, map[string]any) { return 500, nil })
	f := newFixture(t, srv.URL)
	f.save(t, "at1", "rt1", time.Hour)
	rec, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if err != nil || rec.AccessToken != "at1" || calls.Load() != 0 {
		t.Fatalf("rec=%v err=%v calls=%d", rec, err, calls.Load())
	}
}

func TestRefreshRotation(t *testing.T) {
	tests := []struct {
		name        string
		response    map[string]any
		wantRefresh string
	}{
		{"rotated: the old refresh token is discarded", map[string]any{"access_token": "at2", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt2"}, "rt2"},
		{"none returned: the old one is kept (RFC 6749 §6)", map[string]any{"access_token": "at2", "token_type": "bearer", "expires_in": 3600}, "rt1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent map[string]string
			srv, calls := tokenServer(t, func(form map[string]string) (int, map[string]any) {
				sent = form
				return 200, tt.response
			})
			f := newFixture(t, srv.URL)
			f.save(t, "at1", "rt1", 30*time.Second)
			rec, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 1 || sent["grant_type"] != "refresh_token" || sent["refresh_token"] != "rt1" || sent["client_id"] != "tok-public" {
				t.Fatalf("calls=%d form=%v", calls.Load(), sent)
			}
			stored, _ := f.st.Load(context.Background(), "dex", "default")
			if rec.AccessToken != "at2" || stored.AccessToken != "at2" || stored.RefreshToken != tt.wantRefresh {
				t.Fatalf("rec=%+v stored=%+v", rec, stored)
			}
			if !stored.Expiry.Equal(f.now.Add(time.Hour)) && stored.Expiry.Sub(f.now) < 59*time.Minute {
				t.Fatalf("expiry = %v", stored.Expiry)
			}
		})
	}
}

func TestRefreshSendsResource(t *testing.T) {
	var sent map[string]string
	srv, _ := tokenServer(t, func(form map[string]string) (int, map[string]any) {
		sent = form
		return 200, map[string]any{"access_token": "at2", "token_type": "Bearer", "expires_in": 60}
	})
	f := newFixture(t, srv.URL)
	f.p.MCP = "https://mcp.example.com/mcp"
	f.save(t, "at1", "rt1", 0)
	if _, err := f.m.Refresh(context.Background(), f.tgt, f.p); err != nil {
		t.Fatal(err)
	}
	if sent["resource"] != "https://mcp.example.com/mcp" {
		t.Fatalf("RFC 8707 resource not sent: %v", sent)
	}
}

func TestRefreshRejected(t *testing.T) {
	srv, _ := tokenServer(t, func(map[string]string) (int, map[string]any) {
		return 400, map[string]any{"error": "invalid_grant", "error_description": "rt1 is spent"}
	})
	f := newFixture(t, srv.URL)
	f.save(t, "at1", "rt1", 0)
	_, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if tokerr.ExitCode(err) != int(tokerr.LoginNeeded) || tokerr.HintOf(err) != "run: tok login dex" {
		t.Fatalf("err = %v (exit %d)", err, tokerr.ExitCode(err))
	}
	stored, lerr := f.st.Load(context.Background(), "dex", "default")
	if lerr != nil || stored.RefreshToken != "rt1" {
		t.Fatalf("a rejected refresh must leave the stored login as it was: %v %v", stored, lerr)
	}
}

// A refresh rejected because another writer already rotated the token
// returns that writer's newer token instead of declaring the login lost.
func TestRefreshRejectedButNewerStored(t *testing.T) {
	var f *fixture
	srv, _ := tokenServer(t, func(map[string]string) (int, map[string]any) {
		// Someone else stored a newer pair while our request was in flight.
		f.save(t, "at-other", "rt-other", time.Hour)
		return 400, map[string]any{"error": "invalid_grant"}
	})
	f = newFixture(t, srv.URL)
	f.save(t, "at1", "rt1", 0)
	rec, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if err != nil || rec.AccessToken != "at-other" {
		t.Fatalf("rec=%v err=%v", rec, err)
	}
}

func TestNoRefreshToken(t *testing.T) {
	f := newFixture(t, "http://127.0.0.1:1/token")
	f.save(t, "at1", "", 10*time.Second)
	_, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if tokerr.ExitCode(err) != int(tokerr.LoginNeeded) {
		t.Fatalf("err = %v", err)
	}
	_, err = f.m.Fresh(context.Background(), Target{Provider: "dex", Account: "nobody"}, f.p, time.Minute)
	if tokerr.ExitCode(err) != int(tokerr.LoginNeeded) {
		t.Fatalf("nothing stored: err = %v", err)
	}
}

func TestRefreshRefusesNonBearer(t *testing.T) {
	srv, _ := tokenServer(t, func(map[string]string) (int, map[string]any) {
		return 200, map[string]any{"access_token": "at2", "token_type": "mac", "expires_in": 60}
	})
	f := newFixture(t, srv.URL)
	f.save(t, "at1", "rt1", 0)
	if _, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute); err == nil {
		t.Fatal("a mac token was accepted")
	}
	stored, _ := f.st.Load(context.Background(), "dex", "default")
	if stored.AccessToken != "at1" {
		t.Fatal("a refused response was stored")
	}
}

func TestClientCredentialsFetchesWhenExpired(t *testing.T) {
	srv, calls := tokenServer(t, func(form map[string]string) (int, map[string]any) {
		return 200, map[string]any{"access_token": "cc", "token_type": "Bearer", "expires_in": 600}
	})
	f := newFixture(t, srv.URL)
	f.p.Flow, f.p.ClientSecret = config.FlowClientCredentials, "s3cret"
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := f.m.Fresh(ctx, f.tgt, f.p, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1 while the token is fresh", calls.Load())
	}
	f.now = f.now.Add(10 * time.Minute)
	if _, err := f.m.Fresh(ctx, f.tgt, f.p, time.Minute); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("calls = %d, want 2 after expiry", calls.Load())
	}
}
