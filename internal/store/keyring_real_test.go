package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	testkeyring "github.com/tok-cli/tok/internal/testing/keyring"

	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/zalando/go-keyring"
)

// TestRealSecretService runs the keyring backend against a real
// gnome-keyring-daemon on a private session bus, with HOME and XDG dirs in
// a temp dir so the developer's own keyring is never touched.
func TestRealSecretService(t *testing.T) {
	if testkeyring.InSession() {
		checkRealKeyring(t)
		return
	}
	testkeyring.Run(t, "^TestRealSecretService$")
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
		// The Secret Service has no item cap: one item, whatever the size.
		if !strings.HasPrefix(head, smallPrefix) {
			t.Errorf("%d bytes: head %.20q, want one item", size, head)
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
	// The short read (getSecret) finds what go-keyring wrote, and nothing
	// where go-keyring finds nothing.
	if err := keyring.Set("tok-test", "plain", "value\nwith lines"); err != nil {
		t.Fatal(err)
	}
	if got, err := getSecret("tok-test", "plain"); err != nil || got != "value\nwith lines" {
		t.Errorf("getSecret = %q, %v", got, err)
	}
	if _, err := getSecret("tok-test", "absent"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("getSecret of nothing: %v", err)
	}
	if _, err := getSecret("tok-other", "plain"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("getSecret under another service: %v", err)
	}
	keyring.Delete("tok-test", "plain")
	if n := longReads.Load(); n != 0 {
		t.Errorf("%d reads went the long way through go-keyring, want none with an unlocked keyring", n)
	}

	// A record an older tok chunked is read, and saved back as one item.
	v := realSizeRecord(t)
	if err := newChunkedKeyring("tok-test", 10*time.Second, osKeyring{}).Set(ctx, "k", v); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "k"); err != nil || !bytes.Equal(got, v) {
		t.Fatalf("Get of a chunked record: %d bytes, %v", len(got), err)
	}
	if err := b.Set(ctx, "k", v); err != nil {
		t.Fatal(err)
	}
	if head, _ := keyring.Get("tok-test", "k"); !strings.HasPrefix(head, smallPrefix) {
		t.Errorf("after the save, head %.20q, want one item", head)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
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
