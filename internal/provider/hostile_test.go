package provider

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

const canary = "CANARY-discovery-51ab"

// TestDiscoverHostile serves metadata documents a real server will not:
// each ends in one clean, bounded line, nothing is cached, and the
// document's bytes are not echoed beyond a quoted, shortened issuer.
func TestDiscoverHostile(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		doc         string // ISSUER becomes the server's URL
		wantErr     string
	}{
		{"html page", 200, "text/html", "<html>" + canary, "returned an HTML page, not JSON metadata"},
		{"html error everywhere", 500, "text/html", "<html>" + canary, "no authorization server metadata for"},
		{"empty body", 200, "application/json", "", "returned malformed JSON"},
		{"not json", 200, "application/json", canary, "returned malformed JSON"},
		{"wrong types", 200, "application/json", `{"issuer":"ISSUER","token_endpoint":["` + canary + `"]}`, "returned malformed JSON"},
		{"over 1 MiB", 200, "application/json", `{"issuer":"ISSUER","token_endpoint":"ISSUER/token","x":"` + strings.Repeat(canary, 1<<16) + `"}`, "document larger than 1 MiB"},
		{"mismatched issuer", 200, "application/json", `{"issuer":"https://evil.example","token_endpoint":"https://evil.example/token"}`, `names issuer "https://evil.example", not the configured`},
		{"issuer with trailing slash", 200, "application/json", `{"issuer":"ISSUER/","token_endpoint":"ISSUER/token"}`, "not the configured"},
		{"huge hostile issuer", 200, "application/json", `{"issuer":"` + strings.Repeat(canary, 2000) + `\n\u001b[2J","token_endpoint":"ISSUER/token"}`, "not the configured"},
		{"no token endpoint", 200, "application/json", `{"issuer":"ISSUER","authorization_endpoint":"ISSUER/auth"}`, "metadata has no token_endpoint"},
		{"plain http token endpoint", 200, "application/json", `{"issuer":"ISSUER","token_endpoint":"http://id.example.com/token"}`, "is not https: refusing to send credentials over it"},
		{"plain http device endpoint", 200, "application/json", `{"issuer":"ISSUER","token_endpoint":"ISSUER/t","device_authorization_endpoint":"http://id.example.com/d"}`, "is not https"},
		{"javascript endpoint", 200, "application/json", `{"issuer":"ISSUER","token_endpoint":"javascript:alert(1)"}`, "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				io.WriteString(w, strings.ReplaceAll(tt.doc, "ISSUER", srv.URL))
			}))
			defer srv.Close()
			cache := t.TempDir()
			d := &Discoverer{HTTP: srv.Client(), CacheDir: cache, Now: time.Now}
			_, err := d.Discover(context.Background(), srv.URL)
			if err == nil {
				t.Fatal("discovery succeeded")
			}
			checkLine(t, err.Error(), tt.wantErr)
			if ents, _ := os.ReadDir(cache); len(ents) != 0 {
				t.Errorf("a refused document was cached: %v", ents)
			}
		})
	}
}

func checkLine(t *testing.T, msg, want string) {
	t.Helper()
	if !strings.Contains(msg, want) {
		t.Errorf("err = %q, want it to contain %q", msg, want)
	}
	if strings.ContainsAny(msg, "\n\r\x1b") || len(msg) > 600 {
		t.Errorf("not one clean, short line (%d bytes): %.300q", len(msg), msg)
	}
	// At most the 100 runes of a quoted issuer come from the document.
	if strings.Count(msg, canary) > 100/len(canary) {
		t.Errorf("the document is echoed: %.300q", msg)
	}
}

// A document served through a redirect still has to name the issuer
// that was asked for.
func TestDiscoverRedirectedElsewhere(t *testing.T) {
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"issuer":"https://evil.example","token_endpoint":"https://evil.example/token"}`)
	}))
	defer evil.Close()
	srv := httptest.NewServer(http.RedirectHandler(evil.URL+"/.well-known/openid-configuration", http.StatusFound))
	defer srv.Close()
	d := &Discoverer{HTTP: srv.Client(), Now: time.Now}
	_, err := d.Discover(context.Background(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "refusing it") {
		t.Fatalf("err = %v", err)
	}
}

// A metadata endpoint that never answers is cut off by the client's
// timeout.
func TestDiscoverServerNeverAnswers(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	d := &Discoverer{HTTP: &http.Client{Timeout: 100 * time.Millisecond}, Now: time.Now}
	start := time.Now()
	_, err := d.Discover(context.Background(), srv.URL)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
	checkLine(t, err.Error(), "discovery: ")
}

// Tokens and client secrets must not cross a network in clear text: a
// plain-http issuer or endpoint is accepted on loopback only, whether
// configured or discovered.
func TestEndpointsRefuseCleartext(t *testing.T) {
	tests := []struct {
		name      string
		set       func(p *Provider)
		wantErr   string
		wantUsage bool
	}{
		{"http issuer", func(p *Provider) { p.Issuer = "http://id.example.com" },
			"issuer http://id.example.com is not https", true},
		{"http token_url", func(p *Provider) {
			p.TokenURL, p.AuthURL = "http://id.example.com/token", "https://id.example.com/auth"
		},
			"endpoint http://id.example.com/token is not https", true},
		{"http auth_url", func(p *Provider) {
			p.TokenURL, p.AuthURL = "https://id.example.com/token", "http://id.example.com/auth"
		},
			"endpoint http://id.example.com/auth is not https", true},
		{"http revocation_url", func(p *Provider) {
			p.TokenURL, p.AuthURL, p.RevocationURL = "https://id.example.com/token", "https://id.example.com/auth", "http://id.example.com/revoke"
		}, "endpoint http://id.example.com/revoke is not https", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Provider{}
			p.Name = "x"
			tt.set(p)
			d := &Discoverer{HTTP: &http.Client{Transport: failTransport{t}}, Now: time.Now}
			_, err := d.Endpoints(context.Background(), p)
			if err == nil {
				t.Fatal("accepted")
			}
			checkLine(t, err.Error(), tt.wantErr)
			if tt.wantUsage && tokerr.ExitCode(err) != int(tokerr.Usage) {
				t.Errorf("exit %d, want %d", tokerr.ExitCode(err), tokerr.Usage)
			}
		})
	}
	// Loopback is fine, for local providers and tests.
	p := &Provider{}
	p.Name, p.TokenURL, p.AuthURL = "x", "http://127.0.0.1:9/token", "http://localhost:9/auth"
	d := &Discoverer{HTTP: &http.Client{Transport: failTransport{t}}, Now: time.Now}
	if _, err := d.Endpoints(context.Background(), p); err != nil {
		t.Errorf("loopback endpoints refused: %v", err)
	}
}
