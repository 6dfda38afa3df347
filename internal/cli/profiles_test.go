package cli

import (
	"reflect"
	"testing"
)

// TestProfileScopeKeys: viper lower-cases map keys and would split one on
// its dots; a profile's scopes still belong to its targets as written,
// URLs included.
func TestProfileScopeKeys(t *testing.T) {
	body := `profiles:
  coder:
    targets: [github:Work, https://mcp.example.com/mcp]
    scopes:
      github:Work: [repo]
      https://MCP.example.com/mcp/: [read]
    revoke_on_exit: true
`
	a := testApp(t, map[string]string{"TOK_CONFIG": writeConfig(t, "config.yaml", body)})
	cfg, err := a.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Profiles["coder"]
	want := map[string][]string{"github:Work": {"repo"}, "https://mcp.example.com/mcp": {"read"}}
	if !reflect.DeepEqual(p.Scopes, want) || !p.RevokeOnExit {
		t.Errorf("profile %+v, want scopes %v and revoke_on_exit", p, want)
	}
}
