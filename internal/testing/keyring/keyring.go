// Package keyring runs a test against the real Secret Service: it
// re-executes the test binary inside a private D-Bus session with an
// unlocked gnome-keyring-daemon and a temporary HOME, so that neither the
// developer's keyring nor another test is touched.
package keyring

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// childEnv marks the copy of the test binary that runs inside the session.
const childEnv = "TOK_TEST_SECRET_SERVICE_CHILD"

// InSession reports whether this process is the copy running inside the
// private session, where the test body should run.
func InSession() bool { return os.Getenv(childEnv) == "1" }

// Run re-executes the tests matching run inside a private session, with
// extra environment variables, and fails when they fail. Where the
// packages are missing it skips with the command that installs them, but
// under CI, which installs them, it fails instead.
func Run(t *testing.T, run string, extra ...string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service tests run on linux only")
	}
	for _, bin := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			const msg = "skipping the real Secret Service test: gnome-keyring and dbus are not installed (apt-get install -y gnome-keyring dbus)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// --unlock with a password on stdin creates the login collection and
	// leaves it unlocked, as a desktop login would.
	const script = `printf %s testpass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ` +
		`exec "$0" -test.run="$1" -test.v -test.count=1`
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c", script, os.Args[0], run)
	cmd.Env = append(append(isolatedEnv(t), childEnv+"=1"), extra...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("tests in the Secret Service session failed: %v\n%s", err, out)
	}
}

// isolatedEnv is the environment minus anything that points at the user's
// session, with HOME and the XDG dirs in a temp dir.
func isolatedEnv(t *testing.T) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "HOME" || name == "DBUS_SESSION_BUS_ADDRESS" || strings.HasPrefix(name, "XDG_") || strings.HasPrefix(name, "GNOME_KEYRING") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home)
	for _, d := range []string{"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"} {
		p := filepath.Join(home, strings.ToLower(d))
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		env = append(env, d+"="+p)
	}
	return env
}
