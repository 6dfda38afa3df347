package provider

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/config"
)

func TestMCPName(t *testing.T) {
	tests := map[string]string{
		"https://mcp.example.com/mcp":      "mcp-example-com",
		"https://MCP.Example.com:8443/x/y": "mcp-example-com-8443",
		"http://localhost:3000/mcp":        "localhost-3000",
		"http://127.0.0.1:9/mcp":           "mcp-127-0-0-1-9",
		"http://[::1]:9/mcp":               "mcp-1-9",
	}
	for in, want := range tests {
		if got := MCPName(in); got != want {
			t.Errorf("MCPName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMCPServerFiles(t *testing.T) {
	dir := t.TempDir()
	s := &MCPServer{Name: "mcp-example-com", URL: "https://mcp.example.com/mcp", Resource: "https://mcp.example.com/mcp",
		Issuer: "https://as.example.com", AuthURL: "https://as.example.com/a", TokenURL: "https://as.example.com/t",
		Scopes: []string{"files:read"}, ClientKind: "registered", ClientID: "c1", RedirectURI: "http://127.0.0.1:5000/callback",
		UpdatedAt: time.Unix(1700000000, 0).UTC()}
	if err := SaveMCPServer(dir, s); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{filepath.Join(dir, "mcp"): 0o700, filepath.Join(dir, "mcp", "mcp-example-com.json"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", path, fi.Mode(), err, want)
		}
	}
	got, err := LoadMCPServer(dir, "mcp-example-com")
	if err != nil || got.URL != s.URL || got.ClientID != "c1" || !slices.Equal(got.Scopes, s.Scopes) {
		t.Fatalf("LoadMCPServer = %+v, %v", got, err)
	}
	if list := MCPServers(dir); len(list) != 1 || list[0].Name != s.Name {
		t.Errorf("MCPServers = %v", list)
	}
	if err := SaveMCPServer(dir, &MCPServer{Name: "../x", URL: "https://x"}); err == nil {
		t.Error("saved a server named ../x")
	}
	os.WriteFile(filepath.Join(dir, "mcp", "broken.json"), []byte("{"), 0o600)
	if _, err := LoadMCPServer(dir, "broken"); err == nil || os.IsNotExist(err) {
		t.Errorf("LoadMCPServer(broken) = %v", err)
	}

	// Resolve finds the remembered server by name, endpoints and all.
	cfg := &config.Config{StateDir: dir, Providers: map[string]config.Provider{}}
	p, err := Resolve(cfg, "mcp-example-com", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if p.MCP != s.URL || p.Issuer != s.Issuer || p.TokenURL != s.TokenURL || p.Resource != s.Resource ||
		p.MCPServer == nil || !slices.Equal(p.Env, []string{"MCP_EXAMPLE_COM_TOKEN"}) {
		t.Errorf("Resolve = %+v", p)
	}
	if p.ClientID != "" {
		t.Errorf("Resolve set client id %q: the caller completes the client", p.ClientID)
	}
	if !slices.Contains(Names(cfg), "mcp-example-com") {
		t.Errorf("Names = %v", Names(cfg))
	}
	// The config file wins over what was remembered.
	cfg.Providers["mcp-example-com"] = config.Provider{Resource: "-", ClientID: "configured"}
	p, err = Resolve(cfg, "mcp-example-com", func(string) (string, bool) { return "", false })
	if err != nil || p.Resource != "-" || p.ClientID != "configured" {
		t.Errorf("Resolve with config = %+v, %v", p, err)
	}
}
