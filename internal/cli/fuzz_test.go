package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/tok-cli/tok/internal/tokerr"
)

var configExts = []string{".yaml", ".toml", ".json", ".yml", ""}

// FuzzLoadConfig reads config files as a user may write them, in every
// format tok accepts. A file is read, or refused as a usage error (exit
// 2) in one clean line: never a panic.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte("store: file\nmin_ttl: 2m\nproviders:\n  dex:\n    issuer: https://id.example.com\n    client_id: c\n    scopes: [openid]\n    redirect_port: 8765\n    auth_params: {prompt: consent}\n"), uint8(0))
	f.Add([]byte("[providers.dex]\nissuer = \"https://id.example.com\"\nredirect_port = \"x\"\n"), uint8(1))
	f.Add([]byte(`{"providers":{"dex":{"scopes":"openid email","env":[1,2]}}}`), uint8(2))
	f.Add([]byte("providers:\n  x:\n   - : : [\n"), uint8(3))
	f.Add([]byte("providers: [1, 2]\nmin_ttl: -5s\n"), uint8(4))
	f.Add([]byte("a: &a [*a]\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		path := filepath.Join(t.TempDir(), "config"+configExts[int(ext)%len(configExts)])
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a := testApp(t, map[string]string{"TOK_CONFIG": path, "TOK_STATE_DIR": t.TempDir()})
		cfg, err := a.loadConfig()
		if err != nil {
			checkConfigError(t, err, "")
			return
		}
		if cfg.MinTTL < 0 {
			t.Fatalf("min_ttl %s", cfg.MinTTL)
		}
	})
}

// FuzzConfigSecret puts a client secret where a config has one, well or
// badly formed: an error about the file never quotes it.
func FuzzConfigSecret(f *testing.F) {
	f.Add("plain", uint8(0))
	f.Add("[x]", uint8(0))
	f.Add("{a: 1}", uint8(0))
	f.Add("unquoted value", uint8(1))
	f.Add(`"x" trailing`, uint8(2))
	f.Add("'", uint8(0))
	f.Fuzz(func(t *testing.T, secret string, ext uint8) {
		const mark = "S3CR3T-"
		var doc string
		switch ext % 3 {
		case 0:
			doc = "providers:\n  dex:\n    issuer: https://id.example.com\n    client_id: c\n    client_secret: " + mark + secret + "\n"
		case 1:
			doc = "[providers.dex]\nissuer = \"https://id.example.com\"\nclient_secret = " + mark + secret + "\n"
		case 2:
			doc = `{"providers":{"dex":{"client_secret":` + mark + secret + `}}}`
		}
		path := filepath.Join(t.TempDir(), "config"+configExts[int(ext%3)])
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		a := testApp(t, map[string]string{"TOK_CONFIG": path, "TOK_STATE_DIR": t.TempDir()})
		if _, err := a.loadConfig(); err != nil {
			checkConfigError(t, err, mark)
		}
	})
}

func checkConfigError(t *testing.T, err error, secret string) {
	t.Helper()
	if tokerr.ExitCode(err) != int(tokerr.Usage) {
		t.Fatalf("exit %d for %v", tokerr.ExitCode(err), err)
	}
	msg := err.Error()
	for _, r := range msg {
		if unicode.IsControl(r) {
			t.Fatalf("error holds %U: %q", r, msg)
		}
	}
	if secret != "" && strings.Contains(msg, secret) {
		t.Fatalf("error quotes the client secret: %q", msg)
	}
}
