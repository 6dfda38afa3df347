package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// keyringChild marks the copy of the test binary that runs inside a
// private D-Bus session with its own unlocked gnome-keyring-daemon.
const keyringChild = "TOK_TEST_KEYRING_CHILD"

// keyringScripts run a second time with TOK_STORE=keyring against the real
// Secret Service: every promise of login, print, refresh and logout must
// hold with both stores.
var keyringScripts = []string{"login_browser", "login_device", "refresh", "logout", "errors", "keyring"}

// TestScriptsKeyring runs keyringScripts with the real Secret Service
// (gnome-keyring under dbus-run-session, in a temporary HOME).
func TestScriptsKeyring(t *testing.T) {
	if os.Getenv(keyringChild) == "1" {
		var files []string
		for _, s := range keyringScripts {
			files = append(files, filepath.Join("..", "..", "testdata", "script", s+".txtar"))
		}
		testscript.Run(t, testscript.Params{
			Files: files, Setup: setupScript, Cmds: scriptCommands, RequireExplicitExec: true,
		})
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service runs on linux only")
	}
	for _, bin := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			const msg = "skipping the real Secret Service tests: gnome-keyring and dbus are not installed (apt-get install -y gnome-keyring dbus)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	home := t.TempDir()
	const script = `printf %s testpass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ` +
		`exec "$0" -test.run='^TestScriptsKeyring$' -test.count=1`
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c", script, os.Args[0])
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "HOME" || name == "DBUS_SESSION_BUS_ADDRESS" || strings.HasPrefix(name, "XDG_") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "HOME="+home, "XDG_RUNTIME_DIR="+home, keyringChild+"=1", binDirEnv+"="+tokDir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("keyring scripts failed: %v\n%s", err, out)
	}
}

// storeFromTest is the store the scripts use: the real keyring inside
// TestScriptsKeyring's session, the encrypted file store otherwise.
func storeFromTest() string {
	if os.Getenv(keyringChild) == "1" {
		return "keyring"
	}
	return "file"
}
