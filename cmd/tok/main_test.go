package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// binDirEnv passes tokDir to copies of the test binary run as children.
const binDirEnv = "TOK_TEST_BIN_DIR"

// tokDir holds the tok binary built once for all scripts: the scripts run
// the real command, as a user would.
var tokDir string

func TestMain(m *testing.M) {
	_, helper := helperCommands[filepath.Base(os.Args[0])]
	if dir := os.Getenv(binDirEnv); dir != "" {
		// A re-executed copy (TestScriptsKeyring) reuses its parent's tok.
		tokDir, helper = dir, true
	}
	if !helper {
		dir, err := os.MkdirTemp("", "tok-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "tok"), ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building tok: %v\n%s", err, out)
			os.Exit(1)
		}
		tokDir = dir
		defer os.RemoveAll(dir)
	}
	testscript.Main(m, helperCommands)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		Setup:               setupScript,
		Cmds:                scriptCommands,
		RequireExplicitExec: true,
	})
}

// setupScript starts a real OpenID provider for each script and gives tok
// a private HOME, state dir and file store.
func setupScript(env *testscript.Env) error {
	srv, err := testop.Start(testop.Options{})
	if err != nil {
		return err
	}
	env.Defer(srv.Close)
	env.Values[opKey] = srv
	work := env.WorkDir
	env.Setenv("PATH", tokDir+string(os.PathListSeparator)+env.Getenv("PATH"))
	env.Setenv("ISSUER", srv.Issuer)
	env.Setenv("HOME", filepath.Join(work, "home"))
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(work, "home", ".config"))
	env.Setenv("TOK_STATE_DIR", filepath.Join(work, "state"))
	env.Setenv("TOK_STORE", storeFromTest())
	env.Setenv("DBUS_SESSION_BUS_ADDRESS", os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	// Scripts run in parallel against one Secret Service: each gets its
	// own keyring service so their logins never meet.
	env.Setenv("TOK_KEYRING_SERVICE", "tok-test-"+filepath.Base(work))
	env.Setenv("TOK_PASSPHRASE", "correct horse battery staple")
	env.Setenv("TOK_BROWSER", "browse")
	env.Setenv("PUBLIC_CLIENT", testop.PublicClientID)
	env.Setenv("CONF_CLIENT", testop.ConfidentialClientID)
	env.Setenv("CONF_SECRET", testop.ConfidentialClientSecret)
	// No display: flow: auto must not be decided by the developer's desktop.
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "CI", "SSH_CONNECTION", "SSH_TTY", "BROWSER"} {
		env.Setenv(k, "")
	}
	cfgDir := filepath.Join(work, "home", ".config", "tok")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		return err
	}
	cfg := strings.ReplaceAll(defaultConfig, "$ISSUER", srv.Issuer)
	return os.WriteFile(filepath.Join(cfgDir, "config.yaml"), []byte(cfg), 0o600)
}

// defaultConfig defines `dex` (public client, refresh rotation, browser),
// `auto` (flow: auto) and `svc` (client credentials) against the script's
// provider.
const defaultConfig = `providers:
  dex:
    issuer: $ISSUER
    client_id: tok-public
    scopes: [openid, offline_access, email]
    flow: browser
  auto:
    issuer: $ISSUER
    client_id: tok-public
    scopes: [openid, offline_access]
  svc:
    issuer: $ISSUER
    client_id: tok-confidential
    client_secret: tok-secret
    flow: client_credentials
`
