package provider

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/atomicfile"
)

// MCPServer is what tok remembers about an MCP server it logged in to,
// in $STATE/mcp/NAME.json: nothing secret. The registration's secret, if
// any, is in the token store.
type MCPServer struct {
	Name string `json:"name"`
	// URL is the canonical server URL; Resource the RFC 8707 resource.
	URL      string `json:"url"`
	Resource string `json:"resource,omitempty"`
	Issuer   string `json:"issuer"`
	// Endpoints found by discovery at the last login, so that a refresh
	// needs no discovery.
	AuthURL       string `json:"authorization_endpoint,omitempty"`
	TokenURL      string `json:"token_endpoint,omitempty"`
	RevocationURL string `json:"revocation_endpoint,omitempty"`
	// Scopes granted at the last login.
	Scopes []string `json:"scopes,omitempty"`
	// The client the tokens were issued to: how it was obtained, its id,
	// the redirect URI it was registered with, how it authenticates, and
	// whether a secret for it is in the token store.
	ClientKind  string    `json:"client_kind,omitempty"`
	ClientID    string    `json:"client_id,omitempty"`
	RedirectURI string    `json:"redirect_uri,omitempty"`
	AuthMethod  string    `json:"token_endpoint_auth_method,omitempty"`
	HasSecret   bool      `json:"has_secret,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func mcpDir(stateDir string) string { return filepath.Join(stateDir, "mcp") }

// LoadMCPServer returns the remembered server called name, or an error
// wrapping os.ErrNotExist.
func LoadMCPServer(stateDir, name string) (*MCPServer, error) {
	if stateDir == "" || !validMCPName(name) {
		return nil, os.ErrNotExist
	}
	b, err := os.ReadFile(filepath.Join(mcpDir(stateDir), name+".json"))
	if err != nil {
		return nil, err
	}
	var s MCPServer
	if err := json.Unmarshal(b, &s); err != nil || s.URL == "" {
		return nil, fmt.Errorf("MCP server file %s is unreadable: log in again to rewrite it", filepath.Join(mcpDir(stateDir), name+".json"))
	}
	s.Name = name
	return &s, nil
}

// MCPServers lists the remembered servers, sorted by name. Unreadable
// files are skipped.
func MCPServers(stateDir string) []*MCPServer {
	if stateDir == "" {
		return nil
	}
	des, err := os.ReadDir(mcpDir(stateDir))
	if err != nil {
		return nil
	}
	var out []*MCPServer
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || de.IsDir() {
			continue
		}
		if s, err := LoadMCPServer(stateDir, name); err == nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SaveMCPServer writes s atomically, 0600 in a 0700 directory.
func SaveMCPServer(stateDir string, s *MCPServer) error {
	if !validMCPName(s.Name) {
		return fmt.Errorf("%q is not a provider name", s.Name)
	}
	dir := mcpDir(stateDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(dir, s.Name+".json", append(b, '\n')); err != nil {
		return fmt.Errorf("cannot write to %s: %w", dir, err)
	}
	return nil
}

// MCPName derives a provider name from an MCP server URL: its host, with
// every run of other characters than letters and digits turned into '-'
// (mcp.example.com becomes mcp-example-com, 127.0.0.1:8080
// mcp-127-0-0-1-8080).
func MCPName(serverURL string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		return ""
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(u.Host) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimSuffix(b.String(), "-")
	if name != "" && name[0] >= '0' && name[0] <= '9' {
		// An IP address: its exec variable must not start with a digit.
		name = "mcp-" + name
	}
	return name
}

// validMCPName is a provider name that can name a file in the state dir:
// ValidName, and not hidden (nor "." or "..").
func validMCPName(name string) bool {
	return ValidName(name) && !strings.HasPrefix(name, ".")
}

// mergeMCP applies what was remembered about an MCP server to p. The
// client is left to the caller, which may need the token store for it.
func (p *Provider) mergeMCP(s *MCPServer) {
	p.MCPServer = s
	p.MCP, p.Issuer = s.URL, s.Issuer
	p.AuthURL, p.TokenURL, p.RevocationURL = s.AuthURL, s.TokenURL, s.RevocationURL
	p.Resource = s.Resource
}
