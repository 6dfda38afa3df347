package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

func testApp(t *testing.T, env map[string]string) *App {
	t.Helper()
	a := NewApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	a.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return a
}

func writeConfig(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigFormats(t *testing.T) {
	files := map[string]string{
		"config.yaml": "store: file\nmin_ttl: 2m\nproviders:\n  dex:\n    issuer: https://id.example.com\n    client_id: c\n    scopes: [openid, email]\n    redirect_port: 8765\n    auth_params: {prompt: consent}\n",
		"config.toml": "store = \"file\"\nmin_ttl = \"2m\"\n[providers.dex]\nissuer = \"https://id.example.com\"\nclient_id = \"c\"\nscopes = [\"openid\", \"email\"]\nredirect_port = 8765\n[providers.dex.auth_params]\nprompt = \"consent\"\n",
		"config.json": `{"store":"file","min_ttl":"2m","providers":{"dex":{"issuer":"https://id.example.com","client_id":"c","scopes":["openid","email"],"redirect_port":8765,"auth_params":{"prompt":"consent"}}}}`,
	}
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			a := testApp(t, map[string]string{"TOK_CONFIG": writeConfig(t, name, body)})
			cfg, err := a.loadConfig()
			if err != nil {
				t.Fatal(err)
			}
			p := cfg.Providers["dex"]
			if cfg.Store != "file" || cfg.MinTTL != 2*time.Minute || p.Issuer != "https://id.example.com" ||
				p.ClientID != "c" || len(p.Scopes) != 2 || p.RedirectPort != 8765 || p.AuthParams["prompt"] != "consent" {
				t.Fatalf("cfg = %+v, dex = %+v", cfg, p)
			}
		})
	}
}

func TestLoadConfigPrecedence(t *testing.T) {
	file := writeConfig(t, "c.yaml", "store: file\nmin_ttl: 2m\n")
	a := testApp(t, map[string]string{"TOK_CONFIG": "/nonexistent.yaml", "TOK_STORE": "keyring", "TOK_MIN_TTL": "5m", "TOK_STATE_DIR": "/tmp/st"})
	a.ConfigFlag = file // --config wins over TOK_CONFIG
	cfg, err := a.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != file || cfg.Store != "keyring" || cfg.MinTTL != 5*time.Minute || cfg.StateDir != "/tmp/st" {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	a := testApp(t, map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "XDG_STATE_HOME": "/xdg/state"})
	cfg, err := a.loadConfig()
	if err != nil {
		t.Fatal("a missing default config file must be fine:", err)
	}
	if cfg.File != "" || cfg.MinTTL != 60*time.Second || cfg.StateDir != "/xdg/state/tok" || cfg.Store != "" {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct{ name, file, body, want string }{
		{"syntax", "c.yaml", "providers:\n  x:\n   - : : [\n", "line"},
		{"unknown key", "c.yaml", "providers:\n  x:\n    client_idd: y\n", "providers: x has unknown keys: client_idd"},
		{"not a bool", "c.yaml", "providers:\n  x:\n    revoke_ends_grant: maybe\n", `providers.x.revoke_ends_grant "maybe" is not true or false`},
		{"unknown etcd key", "c.yaml", "etcd:\n  ca_fil: x\n", "etcd: unknown keys: ca_fil"},
		{"bad min_ttl", "c.yaml", "min_ttl: soon\n", "min_ttl"},
		{"unknown top-level key", "c.yaml", "stor: file\n", `unknown key "stor"`},
		{"bad toml", "c.toml", "store = = 1\n", "c.toml"},
		{"unknown store", "c.yaml", "store: keychain\n", `store: "keychain" is not a store`},
		// JSON and TOML quote strings: a number is a mistake there.
		{"number for a string (json)", "c.json", `{"providers":{"x":{"issuer":5}}}`, `c.json: providers.x.issuer 5 is not a string: write it in quotes`},
		{"number for a string (toml)", "c.toml", "[providers.x]\nclient_id = 12345\n", `c.toml: providers.x.client_id 12345 is not a string: write it in quotes`},
		{"string for a list (toml)", "c.toml", "[providers.x]\nscopes = \"openid email\"\n", `c.toml: providers.x.scopes "openid email" is not a list: write [openid, email]`},
		{"bad flow (json)", "c.json", `{"providers":{"x":{"flow":"magic"}}}`, `c.json: providers.x.flow "magic" is not a flow`},
		{"duplicate key", "c.yaml", "providers:\n  x:\n    issuer: https://a.example\n  x:\n    client_id: y\n", `c.yaml: line 4: key "x" is defined twice (first at line 2)`},
		{"negative min_ttl", "c.yaml", "min_ttl: -5s\n", `c.yaml: min_ttl "-5s" is negative: give a duration like 60s or 5m`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testApp(t, map[string]string{"TOK_CONFIG": writeConfig(t, tt.file, tt.body)})
			_, err := a.loadConfig()
			if tokerr.ExitCode(err) != int(tokerr.Usage) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	a := testApp(t, map[string]string{"TOK_MIN_TTL": "soon", "XDG_CONFIG_HOME": t.TempDir()})
	if _, err := a.loadConfig(); tokerr.ExitCode(err) != int(tokerr.Usage) || !strings.HasPrefix(err.Error(), `TOK_MIN_TTL "soon"`) {
		t.Fatalf("a bad TOK_MIN_TTL: err = %v", err)
	}
	// status reads no record, so a bad TOK_STORE is caught with the config.
	a = testApp(t, map[string]string{"TOK_STORE": "bogus", "XDG_CONFIG_HOME": t.TempDir()})
	if _, err := a.loadConfig(); tokerr.ExitCode(err) != int(tokerr.Usage) || !strings.HasPrefix(err.Error(), `TOK_STORE "bogus"`) {
		t.Fatalf("a bad TOK_STORE: err = %v", err)
	}
	// A config file that is there but cannot be read is never skipped.
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "tok", "config.yaml"), 0o700)
	a = testApp(t, map[string]string{"XDG_CONFIG_HOME": home})
	if _, err := a.loadConfig(); tokerr.ExitCode(err) != int(tokerr.Usage) || !strings.Contains(err.Error(), "cannot be read: is a directory") {
		t.Fatalf("a default config path that is a directory: err = %v", err)
	}
	a = testApp(t, map[string]string{"TOK_CONFIG": "/does/not/exist.yaml"})
	if _, err := a.loadConfig(); tokerr.ExitCode(err) != int(tokerr.Usage) {
		t.Fatalf("an explicit missing config file: err = %v", err)
	}
}

func TestRunErrorsAreOneLine(t *testing.T) {
	var stderr bytes.Buffer
	a := NewApp(strings.NewReader(""), &bytes.Buffer{}, &stderr)
	a.LookupEnv = func(k string) (string, bool) {
		return map[string]string{"XDG_CONFIG_HOME": t.TempDir()}[k], k == "XDG_CONFIG_HOME"
	}
	code := a.Run(t.Context(), []string{"print", "gthub"})
	if code != 2 || stderr.String() != "tok: unknown provider \"gthub\"; did you mean github?\n" {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}
