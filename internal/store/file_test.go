package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, want)
	}
}

func TestFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		passphrase string
		plaintext  bool
		size       int
	}{
		{"encrypted small", "pw", false, 200},
		{"encrypted 8 KiB", "pw", false, 8 << 10},
		{"plaintext", "", true, 200},
		{"passphrase wins over plaintext", "pw", true, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state", "secrets")
			b := NewFile(dir, tt.passphrase, tt.plaintext)
			v := bytes.Repeat([]byte("x"), tt.size)
			copy(v, testSecret)
			for i := 0; i < 2; i++ { // the second Set replaces the first
				if err := b.Set(ctx, "token:https://h/p:a", v); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			got, err := b.Get(ctx, "token:https://h/p:a")
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get = %d bytes, %v", len(got), err)
			}
			t.Logf("Get took %s", time.Since(start))
			checkMode(t, dir, 0o700)
			files, _ := os.ReadDir(dir)
			if len(files) != 1 {
				t.Fatalf("%d files in the store, want 1 (no temp files left)", len(files))
			}
			path := filepath.Join(dir, files[0].Name())
			checkMode(t, path, 0o600)
			raw, _ := os.ReadFile(path)
			if encrypted := tt.passphrase != ""; encrypted == bytes.Contains(raw, []byte(testSecret)) {
				t.Errorf("encrypted=%v but file holds the secret=%v", encrypted, !encrypted)
			}
			if err := b.Delete(ctx, "token:https://h/p:a"); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Get(ctx, "token:https://h/p:a"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Delete: %v", err)
			}
			if err := b.Delete(ctx, "token:https://h/p:a"); err != nil {
				t.Fatalf("Delete of an absent key: %v", err)
			}
		})
	}
}

func TestFileRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := NewFile(dir, "right", false).Set(ctx, "k", []byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   func() error
		want string
	}{
		{"set without passphrase", func() error { return NewFile(dir, "", false).Set(ctx, "k2", []byte("v")) }, "file store needs a key or a passphrase"},
		{"get without passphrase", func() error { _, err := NewFile(dir, "", false).Get(ctx, "k"); return err }, "TOK_PASSPHRASE"},
		{"get with plaintext but no passphrase", func() error { _, err := NewFile(dir, "", true).Get(ctx, "k"); return err }, "TOK_PASSPHRASE"},
		{"wrong passphrase", func() error { _, err := NewFile(dir, "wrong", false).Get(ctx, "k"); return err }, "cannot decrypt the file store: wrong TOK_PASSPHRASE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v (exit %d), want exit 5 with %q", err, tokerr.ExitCode(err), tt.want)
			}
		})
	}
	if _, err := os.Stat(NewFile(dir, "", false).(*fileBackend).path("k2")); !os.IsNotExist(err) {
		t.Error("a refused Set left a file behind")
	}
}

func TestFileCorrupt(t *testing.T) {
	ctx := context.Background()
	b := NewFile(t.TempDir(), "pw", false).(*fileBackend)
	if err := b.Set(ctx, "k", []byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(b.path("k"))
	if err := os.WriteFile(b.path("k"), raw[:len(raw)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of a truncated file: %v, want ErrCorrupt", err)
	}
}

// A kill between writing the temp file and renaming it leaves a temp file
// and the old value; neither confuses the next reader.
func TestFileInterruptedWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := NewFile(dir, "", true)
	if err := b.Set(ctx, "k", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, tempPrefix+"123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "k"); err != nil || string(got) != "old" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestFileFixesLooseDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "loose")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := NewFile(dir, "pw", false).Set(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, 0o700)
}

func TestFileAsksForPassphrase(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "secrets")
	var asked []bool
	ask := func(answer string) func(context.Context, bool) (string, error) {
		return func(_ context.Context, confirm bool) (string, error) {
			asked = append(asked, confirm)
			return answer, nil
		}
	}
	b := NewFileWith(dir, FileOptions{Ask: ask("pw")})
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) || len(asked) != 0 {
		t.Fatalf("Get of nothing: %v, asked %v; want ErrNotFound without asking", err, asked)
	}
	if err := b.Set(ctx, "k", []byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "k2", []byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || !asked[0] {
		t.Fatalf("asked %v, want once, to confirm a new passphrase", asked)
	}

	// A later run asks once to read, without confirming.
	asked = nil
	got, err := NewFileWith(dir, FileOptions{Ask: ask("pw")}).Get(ctx, "k")
	if err != nil || string(got) != testSecret || len(asked) != 1 || asked[0] {
		t.Fatalf("Get = %q, %v; asked %v", got, err, asked)
	}
	asked = nil
	if err := NewFileWith(dir, FileOptions{Ask: ask("pw")}).Set(ctx, "k3", []byte("v")); err != nil || len(asked) != 1 || asked[0] {
		t.Fatalf("Set in a store with entries: %v; asked %v, want once without confirming", err, asked)
	}

	// A mistyped passphrase is named as such, not as TOK_PASSPHRASE.
	_, err = NewFileWith(dir, FileOptions{Ask: ask("typo")}).Get(ctx, "k")
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Errorf("wrong typed passphrase: %v", err)
	}
	_, err = NewFileWith(dir, FileOptions{Passphrase: "typo", Source: "TOK_PASSPHRASE_FILE"}).Get(ctx, "k")
	if !strings.Contains(err.Error(), "wrong TOK_PASSPHRASE_FILE") {
		t.Errorf("wrong passphrase file: %v", err)
	}
	// An empty answer is no passphrase.
	if err := NewFileWith(dir, FileOptions{Ask: ask("")}).Set(ctx, "k4", []byte("v")); tokerr.ExitCode(err) != 5 {
		t.Errorf("Set after an empty answer: %v, want exit 5", err)
	}
	// The prompt's own failure (Ctrl-C) comes back as is.
	stop := errors.New("interrupted")
	_, err = NewFileWith(dir, FileOptions{Ask: func(context.Context, bool) (string, error) { return "", stop }}).Get(ctx, "k")
	if !errors.Is(err, stop) {
		t.Errorf("Get with a failed prompt: %v", err)
	}
	// file_plaintext: true writes without asking.
	asked = nil
	pdir := filepath.Join(t.TempDir(), "plain")
	if err := NewFileWith(pdir, FileOptions{Ask: ask("pw"), Plaintext: true}).Set(ctx, "k", []byte("v")); err != nil || len(asked) != 0 {
		t.Errorf("plaintext Set: %v, asked %v", err, asked)
	}
}
