package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
)

const recordCanary = "CANARY-stored-0e8f"

// Stored records that tok cannot read, through the real command: exit 4
// with the command that fixes it, one line, and nothing of the stored
// bytes on stdout or stderr.
func TestDamagedRecords(t *testing.T) {
	t.Parallel()
	good := `{"version":1,"access_token":"` + recordCanary + `-at","refresh_token":"` + recordCanary + `-rt","expiry":"2099-01-01T00:00:00Z","obtained_at":"2026-01-01T00:00:00Z"}`
	tests := []struct {
		name    string
		write   func(t *testing.T, e *leakEnv, b store.Backend, key string)
		wantErr string
	}{
		{"garbage", setRecord("garbage{" + recordCanary), "stored token record is unreadable"},
		{"truncated json", setRecord(good[:len(good)/2]), "stored token record is unreadable"},
		{"no token", setRecord(`{"version":1,"scopes":["` + recordCanary + `"]}`), "stored token record is unreadable"},
		{"wrong types", setRecord(`{"version":1,"access_token":["` + recordCanary + `"]}`), "stored token record is unreadable"},
		{"future version", setRecord(strings.Replace(good, `"version":1`, `"version":99`, 1)),
			"stored token record has version 99, newer than this tok understands (1): upgrade tok"},
		{"version zero", setRecord(strings.Replace(good, `"version":1`, `"version":0`, 1)), "stored token record is unreadable"},
		{"truncated file", func(t *testing.T, e *leakEnv, b store.Backend, key string) {
			setRecord(good)(t, e, b, key)
			path := storeFile(t, e)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data[:len(data)-20], 0o600); err != nil {
				t.Fatal(err)
			}
		}, "stored token record is unreadable"},
		{"flipped byte", func(t *testing.T, e *leakEnv, b store.Backend, key string) {
			setRecord(good)(t, e, b, key)
			path := storeFile(t, e)
			data, _ := os.ReadFile(path)
			data[len(data)-5] ^= 0xff
			os.WriteFile(path, data, 0o600)
		}, "stored token record is unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newLeakEnv(t)
			e.tok(0, nil, "login", "dex")
			b := store.NewFile(store.FileDir(e.state), leakPassphrase, false)
			tt.write(t, e, b, store.TokenKey("dex", "default"))
			for _, args := range [][]string{{"print", "dex"}, {"refresh", "dex"}, {"exec", "dex", "--", "leak-child"}} {
				r := e.tok(4, nil, args...)
				line := strings.TrimSuffix(r.stderr[strings.LastIndex(strings.TrimSuffix(r.stderr, "\n"), "\n")+1:], "\n")
				if !strings.HasPrefix(line, "tok: no usable login for dex: ") || !strings.Contains(line, tt.wantErr) || !strings.HasSuffix(line, "; run: tok login dex") {
					t.Errorf("tok %s: last line %q, want the unusable login, %q and the fix", strings.Join(args, " "), line, tt.wantErr)
				}
				if strings.Contains(r.stderr+r.stdout, recordCanary) {
					t.Errorf("tok %s echoes the stored record:\n%s", strings.Join(args, " "), r.stderr)
				}
				if r.stdout != "" {
					t.Errorf("tok %s: stdout %q", strings.Join(args, " "), r.stdout)
				}
			}
			// status reads the index only, logout forgets the damage
			// (but leaves a newer tok's record to that tok, which can
			// revoke it), and a new login works.
			e.tok(0, nil, "status", "dex")
			if tt.name == "future version" {
				r := e.tok(1, nil, "logout", "dex")
				if !strings.HasSuffix(r.stderr, "upgrade tok\n") || strings.Contains(r.stderr, recordCanary) {
					t.Errorf("logout: %q", r.stderr)
				}
			} else {
				e.tok(0, nil, "logout", "dex")
			}
			e.tok(0, nil, "login", "dex")
			e.print("dex")
		})
	}
}

func setRecord(v string) func(*testing.T, *leakEnv, store.Backend, string) {
	return func(t *testing.T, _ *leakEnv, b store.Backend, key string) {
		if err := b.Set(context.Background(), key, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
}

// storeFile is the one record file of the file store.
func storeFile(t *testing.T, e *leakEnv) string {
	files, _ := filepath.Glob(filepath.Join(store.FileDir(e.state), "*.tok"))
	if len(files) != 1 {
		t.Fatalf("file store holds %v", files)
	}
	return files[0]
}

// A keyring that cannot be reached, or does not answer (a locked
// collection waiting on a prompt, a hung Secret Service), is exit 5 with
// a remedy, never a silent fallback to a file.
func TestKeyringUnavailable(t *testing.T) {
	t.Parallel()
	e := newLeakEnv(t)
	e.untraced = true
	// A "session bus" that accepts connections and never says a word.
	sock := filepath.Join(e.dir, "hung-bus")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix sockets: %v", err)
	}
	defer ln.Close()
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	tests := []struct {
		name, bus, wantErr string
	}{
		{"no bus", "unix:path=" + filepath.Join(e.dir, "no-such-bus"), "the os keyring is not reachable"},
		{"hung bus", "unix:path=" + sock, "the os keyring did not answer within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.env = append(e.env, "TOK_STORE=keyring", "DBUS_SESSION_BUS_ADDRESS="+tt.bus)
			start := time.Now()
			for _, args := range [][]string{{"print", "dex"}, {"login", "dex"}, {"logout", "dex"}} {
				r := e.tok(5, nil, args...)
				if !strings.Contains(r.stderr, tt.wantErr) || !strings.Contains(r.stderr, "TOK_STORE=file") {
					t.Errorf("tok %s: stderr %q, want %q and the remedy", strings.Join(args, " "), r.stderr, tt.wantErr)
				}
			}
			if d := time.Since(start); d > 60*time.Second {
				t.Errorf("took %s: the keyring timeout does not bound the wait", d)
			}
			// Nothing fell back to a file: no file store, and no file
			// anywhere holds the token the login obtained.
			if _, err := os.Stat(store.FileDir(e.state)); err == nil {
				t.Error("a file store was created while the keyring was selected")
			}
			e.check()
		})
	}
}
