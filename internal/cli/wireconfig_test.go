package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/tokerr"
)

// token_params and default_ttl are config keys (README "Configuration");
// TOK_<P>_TOKEN_PARAMS wins over the file; a misspelt key or a unitless
// default_ttl is a usage error.
func TestConfigTokenParamsAndDefaultTTL(t *testing.T) {
	file := writeConfig(t, "c.yaml", "providers:\n  m2m:\n    token_url: https://id.example.com/token\n    client_id: c\n"+
		"    token_params: {audience: https://api.example.com/, organization: acme}\n    default_ttl: 15m\n")
	a := testApp(t, map[string]string{"TOK_CONFIG": file, "TOK_M2M_TOKEN_PARAMS": "audience=https%3A%2F%2Fother%2F"})
	cfg, err := a.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.Resolve(cfg, "m2m", a.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if p.DefaultTTL != 15*time.Minute || p.TokenParams["audience"] != "https://other/" || p.TokenParams["organization"] != "acme" {
		t.Fatalf("provider = %+v", p.Provider)
	}
	for _, body := range []string{
		"providers:\n  m2m:\n    token_url: https://id.example.com/token\n    token_param: {audience: x}\n",
		"providers:\n  m2m:\n    token_url: https://id.example.com/token\n    default_tll: 1h\n",
	} {
		a := testApp(t, map[string]string{"TOK_CONFIG": writeConfig(t, "c.yaml", body)})
		_, err := a.loadConfig()
		if tokerr.ExitCode(err) != int(tokerr.Usage) || !strings.Contains(err.Error(), "token_param") && !strings.Contains(err.Error(), "default_tll") {
			t.Errorf("%q: err = %v, want a usage error naming the key", body, err)
		}
	}
	a = testApp(t, map[string]string{"TOK_CONFIG": writeConfig(t, "c.yaml", "providers:\n  m2m:\n    token_url: https://id.example.com/token\n    default_ttl: 3600\n")})
	cfg, err = a.loadConfig()
	if err == nil {
		_, err = provider.Resolve(cfg, "m2m", a.LookupEnv)
	}
	if tokerr.ExitCode(err) != int(tokerr.Usage) || !strings.Contains(err.Error(), "default_ttl") {
		t.Errorf("default_ttl: 3600: err = %v, want a usage error", err)
	}
}
