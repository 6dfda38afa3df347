package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/zalando/go-keyring"
)

// realKeyringChild marks the copy of the test binary that runs inside a
// private D-Bus session with its own gnome-keyring-daemon.
const realKeyringChild = "TOK_TEST_SECRET_SERVICE_CHILD"

// TestRealSecretService runs the keyring backend against a real
// gnome-keyring-daemon on a private session bus, with HOME and XDG dirs in
// a temp dir so the developer's own keyring is never touched.
func TestRealSecretService(t *testing.T) {
	if os.Getenv(realKeyringChild) == "1" {
		checkRealKeyring(t)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the secret service test runs on linux only")
	}
	for _, bin := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			const msg = "gnome-keyring and dbus not installed: apt-get install -y gnome-keyring dbus-x11 (or dbus)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// --unlock with a password on stdin creates the login collection and
	// leaves it unlocked, as a desktop login would.
	const script = `printf %s testpass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ` +
		`exec "$0" -test.run='^TestRealSecretService$' -test.v -test.count=1`
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c", script, os.Args[0])
	cmd.Env = append(isolatedEnv(t), realKeyringChild+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child output:\n%s", out)
	if err != nil {
		t.Fatalf("secret service child failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestRealSecretService") {
		t.Fatal("child did not run the test")
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

func checkRealKeyring(t *testing.T) {
	ctx := context.Background()
	b := NewKeyring("tok-test", 10*time.Second)
	for _, size := range []int{64, 8 << 10} {
		key := "token:https://mcp.example.com/v1:default"
		v := randomBytes(t, size)
		if err := b.Set(ctx, key, v); err != nil {
			t.Fatalf("Set %d bytes: %v (hint: %s)", size, err, tokerr.HintOf(err))
		}
		got, err := b.Get(ctx, key)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Get %d bytes: got %d bytes, %v", size, len(got), err)
		}
		head, _ := keyring.Get("tok-test", key)
		if chunked := strings.HasPrefix(head, chunkPrefix); chunked != (size > 1024) {
			t.Errorf("%d bytes: head %.20q, chunked = %v", size, head, chunked)
		}
		if err := b.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after Delete: %v", err)
		}
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
	}
}

func TestKeyringNoSessionBus(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("no d-bus on this system")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-such-socket"))
	b := NewKeyring("tok-test", 3*time.Second)
	start := time.Now()
	_, err := b.Get(context.Background(), "token:p:a")
	if tokerr.ExitCode(err) != 5 {
		t.Fatalf("Get with no bus: %v (exit %d), want exit 5", err, tokerr.ExitCode(err))
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || msg != strings.ToLower(msg) {
		t.Errorf("error is not one lower-case line: %q", msg)
	}
	if !strings.Contains(tokerr.HintOf(err), "TOK_STORE=file") {
		t.Errorf("hint = %q", tokerr.HintOf(err))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Get took %s to fail", d)
	}
}

// With no bus address at all, tok must not autolaunch a private bus.
func TestKeyringNoBusAddress(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("no d-bus on this system")
	}
	if checkSessionBus() == nil && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("a session bus is discoverable under /run/user")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if err := checkSessionBus(); err == nil {
		t.Skip("a session bus is discoverable under /run/user")
	}
	err := NewKeyring("tok-test", time.Second).Set(context.Background(), "k", []byte("v"))
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "no d-bus session bus") {
		t.Fatalf("Set with no bus address: %v", err)
	}
}
