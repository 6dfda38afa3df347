package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/wire"
)

func TestMetadataURLs(t *testing.T) {
	tests := []struct {
		issuer string
		want   []string
	}{
		{"https://id.example.com", []string{
			"https://id.example.com/.well-known/openid-configuration",
			"https://id.example.com/.well-known/oauth-authorization-server",
		}},
		{"https://id.example.com/", []string{
			"https://id.example.com/.well-known/openid-configuration",
			"https://id.example.com/.well-known/oauth-authorization-server",
		}},
		{"https://id.example.com/tenant/a", []string{
			"https://id.example.com/tenant/a/.well-known/openid-configuration",
			"https://id.example.com/.well-known/oauth-authorization-server/tenant/a",
			"https://id.example.com/.well-known/openid-configuration/tenant/a",
		}},
	}
	for _, tt := range tests {
		got, err := MetadataURLs(tt.issuer)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("MetadataURLs(%q) = %v, %v; want %v", tt.issuer, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "id.example.com", "ftp://x", "https://"} {
		if _, err := MetadataURLs(bad); err == nil {
			t.Errorf("MetadataURLs(%q) accepted", bad)
		}
	}
}

// metadataServer serves doc (with ISSUER replaced by its own URL) at path.
func metadataServer(t *testing.T, path, doc string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(strings.ReplaceAll(doc, "ISSUER", srv.URL)))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestDiscover(t *testing.T) {
	const good = `{"issuer":"ISSUER","authorization_endpoint":"ISSUER/auth","token_endpoint":"ISSUER/token"}`
	tests := []struct {
		name, path, doc, issuerSuffix, wantErr string
	}{
		{name: "openid", path: "/.well-known/openid-configuration", doc: good},
		{name: "rfc8414 fallback", path: "/.well-known/oauth-authorization-server", doc: good},
		{name: "issuer mismatch", path: "/.well-known/openid-configuration", doc: `{"issuer":"https://evil.example.com","token_endpoint":"ISSUER/token"}`, wantErr: "refusing it"},
		{name: "no token endpoint", path: "/.well-known/openid-configuration", doc: `{"issuer":"ISSUER"}`, wantErr: "no token_endpoint"},
		{name: "plain http endpoint off loopback", path: "/.well-known/openid-configuration", doc: `{"issuer":"ISSUER","token_endpoint":"http://id.example.com/token"}`, wantErr: "not https"},
		{name: "not json", path: "/.well-known/openid-configuration", doc: `<html>`, wantErr: "malformed JSON"},
		{name: "nothing", path: "/elsewhere", doc: good, wantErr: "no authorization server metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := metadataServer(t, tt.path, tt.doc)
			d := &Discoverer{HTTP: srv.Client(), Now: time.Now}
			md, err := d.Discover(context.Background(), srv.URL)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || md.TokenURL != srv.URL+"/token" {
				t.Fatalf("md = %+v, err = %v", md, err)
			}
		})
	}
}

func TestDiscoverCache(t *testing.T) {
	srv, hits := metadataServer(t, "/.well-known/openid-configuration",
		`{"issuer":"ISSUER","authorization_endpoint":"ISSUER/auth","token_endpoint":"ISSUER/token"}`)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &Discoverer{HTTP: srv.Client(), CacheDir: t.TempDir(), Now: func() time.Time { return now }}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := d.Discover(ctx, srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("fetched %d times, want 1 (cached)", hits.Load())
	}
	now = now.Add(CacheTTL + time.Minute)
	if _, err := d.Discover(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 2 {
		t.Fatalf("fetched %d times after expiry, want 2", hits.Load())
	}
}

func TestEndpointsExplicitNeedNoNetwork(t *testing.T) {
	p := &Provider{}
	p.Name, p.Issuer, p.AuthURL, p.TokenURL = "x", "https://unreachable.invalid", "https://a/auth", "https://a/token"
	d := &Discoverer{HTTP: &http.Client{Transport: failTransport{t}}, Now: time.Now}
	md, err := d.Endpoints(context.Background(), p)
	if err != nil || md.TokenURL != "https://a/token" || md.Issuer != "https://unreachable.invalid" {
		t.Fatalf("md = %+v, err = %v", md, err)
	}
}

type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Fatalf("unexpected request to %s", r.URL)
	return nil, nil
}

func TestSecureURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://x.example.com/t": true, "http://127.0.0.1:8/t": true, "http://localhost/t": true,
		"http://[::1]:9/t": true, "http://x.example.com/t": false, "ftp://x/t": false, "/t": false,
	} {
		if err := SecureURL(u); (err == nil) != ok {
			t.Errorf("SecureURL(%q) = %v", u, err)
		}
	}
}

// The discovery cache is written as the store's files are: 0600, whole,
// no temporary file left behind.
func TestDiscoveryCacheWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	d := &Discoverer{CacheDir: dir, Now: time.Now}
	path := d.cachePath("https://issuer.example")
	d.writeCache(path, &Metadata{Issuer: "https://issuer.example", TokenURL: "https://issuer.example/token"})
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v, want mode 0600", fi, err)
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Errorf("cache dir holds %d files, want 1", len(des))
	}
	if md := d.readCache(path); md == nil || md.TokenURL != "https://issuer.example/token" {
		t.Errorf("read back %+v", md)
	}
}

// A busy or unreachable server (HTTP 429/5xx, no answer) does not undo the
// metadata it gave before: an expired cache entry is used, and the error
// is transient; a server that says there is no document is believed.
func TestDiscoveryBusyUsesStaleCache(t *testing.T) {
	for _, tc := range []struct {
		status    int
		wantStale bool
	}{{503, true}, {429, true}, {404, false}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
		}))
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		d := &Discoverer{HTTP: srv.Client(), CacheDir: t.TempDir(), Now: func() time.Time { return now }}
		d.writeCache(d.cachePath(srv.URL), &Metadata{Issuer: srv.URL, TokenURL: srv.URL + "/token"})
		now = now.Add(48 * time.Hour) // past CacheTTL
		md, err := d.Discover(context.Background(), srv.URL)
		srv.Close()
		if tc.wantStale {
			if err != nil || md.TokenURL != srv.URL+"/token" {
				t.Errorf("HTTP %d: md %v err %v, want the stale document", tc.status, md, err)
			}
			continue
		}
		if err == nil || wire.Transient(err) {
			t.Errorf("HTTP %d: err %v, want a lasting failure", tc.status, err)
		}
	}
	// No cache: the busy answer is an error callers can tell is transient.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	d := &Discoverer{HTTP: srv.Client(), Now: time.Now}
	_, err := d.Discover(context.Background(), srv.URL)
	if err == nil || !wire.Transient(err) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("err = %v, want a transient error naming HTTP 503", err)
	}
}
