package target

import (
	"context"
	"testing"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/tokerr"
)

func testResolver(t *testing.T) *Resolver {
	t.Helper()
	cfg := &config.Config{StateDir: t.TempDir(), Providers: map[string]config.Provider{
		"corp":   {Issuer: "https://idp.example.com", ClientID: "c"},
		"wiki":   {Issuer: "https://idp.example.com", ClientID: "c", MCP: "https://Wiki.example.com/mcp/"},
		"other":  {Issuer: "https://idp.example.com", ClientID: "c", MCP: "https://other.example.com/mcp"},
		"taken":  {Issuer: "https://idp.example.com", ClientID: "c"},
		"second": {Issuer: "https://idp.example.com", ClientID: "c", MCP: "https://wiki.example.com/mcp"},
	}}
	err := provider.SaveMCPServer(cfg.StateDir, &provider.MCPServer{
		Name: "notes", URL: "https://notes.example.com/mcp", Issuer: "https://as.example.com",
		TokenURL: "https://as.example.com/token", AuthURL: "https://as.example.com/authorize",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Resolver{Config: cfg, Env: func(string) (string, bool) { return "", false }}
}

func TestResolve(t *testing.T) {
	r := testResolver(t)
	tests := []struct {
		arg      string
		provider string
		account  string
		code     tokerr.Code // 0: success
	}{
		{"corp", "corp", "default", 0},
		{"corp:work", "corp", "work", 0},
		{"github", "github", "default", 0},
		// A configured mcp: URL, in any of its written forms; the first
		// provider by name wins.
		{"https://wiki.example.com/mcp", "second", "default", 0},
		{"https://WIKI.example.com/mcp/", "second", "default", 0},
		{"https://other.example.com/mcp?x=1", "other", "default", 0},
		// A server remembered from a login, by URL and by its name.
		{"https://notes.example.com/mcp/", "notes", "default", 0},
		{"notes", "notes", "default", 0},
		{"https://unknown.example.com/mcp", "", "", tokerr.LoginNeeded},
		{"http://unknown.example.com/mcp", "", "", tokerr.Usage},
		{"nosuch", "", "", tokerr.Usage},
		{"corp:", "", "", tokerr.Usage},
		{"a/b", "", "", tokerr.Usage},
	}
	for _, tt := range tests {
		tg, p, err := r.Resolve(context.Background(), tt.arg)
		if tt.code != 0 {
			if tokerr.ExitCode(err) != int(tt.code) {
				t.Errorf("Resolve(%q) err = %v (exit %d), want exit %d", tt.arg, err, tokerr.ExitCode(err), tt.code)
			}
			continue
		}
		if err != nil || tg.Provider != tt.provider || tg.Account != tt.account || p == nil || p.Name != tt.provider {
			t.Errorf("Resolve(%q) = %+v, %v, %v; want %s:%s", tt.arg, tg, p, err, tt.provider, tt.account)
		}
		if isURL(tt.arg) && tg.URL != tt.arg {
			t.Errorf("Resolve(%q) lost the URL: %+v", tt.arg, tg)
		}
	}
}

func TestResolveForLogin(t *testing.T) {
	r := testResolver(t)
	tests := []struct {
		arg, name string
		provider  string
		code      tokerr.Code
	}{
		{"corp", "", "corp", 0},
		{"https://new.example.com/mcp", "", "new-example-com", 0},
		{"http://127.0.0.1:8080/mcp", "", "mcp-127-0-0-1-8080", 0},
		{"https://new.example.com/mcp", "mine", "mine", 0},
		{"https://notes.example.com/mcp", "", "notes", 0},
		{"https://notes.example.com/mcp", "notes", "notes", 0},
		{"https://notes.example.com/mcp", "renamed", "", tokerr.Usage},
		{"https://new.example.com/mcp", "taken", "", tokerr.Usage},
		{"https://new.example.com/mcp", "bad/name", "", tokerr.Usage},
		{"corp", "named", "", tokerr.Usage},
		{"http://new.example.com/mcp", "", "", tokerr.Usage},
	}
	for _, tt := range tests {
		tg, p, err := r.ResolveForLogin(context.Background(), tt.arg, tt.name)
		if tt.code != 0 {
			if tokerr.ExitCode(err) != int(tt.code) {
				t.Errorf("ResolveForLogin(%q, %q) err = %v, want exit %d", tt.arg, tt.name, err, tt.code)
			}
			continue
		}
		if err != nil || tg.Provider != tt.provider || p == nil || p.Name != tt.provider {
			t.Errorf("ResolveForLogin(%q, %q) = %+v, %v; want provider %s", tt.arg, tt.name, tg, err, tt.provider)
		}
		if (tg.URL != "") != isURL(tt.arg) {
			t.Errorf("ResolveForLogin(%q): URL %q", tt.arg, tg.URL)
		}
	}
}

func TestCanonical(t *testing.T) {
	same := [][]string{
		{"dex", "dex:default"},
		{"https://mcp.example.com/v1/mcp", "https://mcp.example.com/v1/mcp/", "https://MCP.example.com/v1/mcp"},
		{"http://127.0.0.1:9/mcp", "http://127.0.0.1:9/mcp/"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if Canonical(s) != Canonical(group[0]) {
				t.Errorf("Canonical(%q) = %q, Canonical(%q) = %q; want equal", s, Canonical(s), group[0], Canonical(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"dex", "dex:work"}, {"dex", "gh"}, {"https://a.example.com/mcp", "https://a.example.com/other"}} {
		if Canonical(pair[0]) == Canonical(pair[1]) {
			t.Errorf("Canonical(%q) == Canonical(%q)", pair[0], pair[1])
		}
	}
}

func TestNames(t *testing.T) {
	r := testResolver(t)
	r.Environ = func() []string { return []string{"TOK_ENVONLY_ISSUER=https://idp.example.com"} }
	names := r.Names(context.Background())
	for _, want := range []string{"corp", "github", "notes", "envonly"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("Names() = %v, want %s among them", names, want)
		}
	}
}
