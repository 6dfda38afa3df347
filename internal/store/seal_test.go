package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/tokerr"
)

func TestKeySealer(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal([]byte(testSecret))
	if err != nil || bytes.Contains(sealed, []byte(testSecret)) {
		t.Fatalf("Seal: %v, or the secret is in the clear", err)
	}
	if SealedWith(sealed) != "key" {
		t.Errorf("SealedWith = %q, want key", SealedWith(sealed))
	}
	if got, err := k.Open(sealed); err != nil || string(got) != testSecret {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := GenerateKey()
	pass := PassphraseSealer{Passphrase: "pw"}
	byPass, _ := pass.Seal([]byte(testSecret))
	if SealedWith(byPass) != "passphrase" {
		t.Errorf("SealedWith = %q, want passphrase", SealedWith(byPass))
	}
	tests := []struct {
		name   string
		s      Sealer
		sealed []byte
		want   error
	}{
		{"same key", k, sealed, nil},
		{"other key", other, sealed, ErrWrongKey},
		{"key on a passphrase's entry", k, byPass, ErrWrongKey},
		{"passphrase on a key's entry", pass, sealed, ErrWrongKey},
		{"wrong passphrase", PassphraseSealer{Passphrase: "typo"}, byPass, ErrWrongKey},
		{"damaged", k, sealed[:len(sealed)-5], ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckOpens(tt.s, tt.sealed); !errors.Is(err, tt.want) {
				t.Errorf("CheckOpens = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	k, _ := GenerateKey()
	id := k.Identity()
	good := []string{
		id,
		id + "\n",
		"  " + strings.ToLower(id) + "  ",
		"# created: 2026-11-30T10:00:00Z\n# public key: " + k.Recipient() + "\n" + id + "\n",
	}
	for _, in := range good {
		got, err := ParseKey(in)
		if err != nil || got.Recipient() != k.Recipient() {
			t.Errorf("ParseKey(%.30q) = %v", in, err)
		}
	}
	bad := []string{"", "# only a comment\n", "hunter2", k.Recipient(), id + "\n" + id, id[:len(id)-2] + "xx"}
	for _, in := range bad {
		_, err := ParseKey(in)
		if !errors.Is(err, ErrNotAKey) {
			t.Errorf("ParseKey(%.30q) = %v, want ErrNotAKey", in, err)
		}
		if in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("the error carries the input: %v", err)
		}
	}
}

func TestFileWithKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k, _ := GenerateKey()
	b := NewFileWith(dir, FileOptions{Sealer: k, Source: "TOK_FILE_KEY"})
	if err := b.Set(ctx, "k", []byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(b.(*fileBackend).path("k"))
	if SealedWith(raw) != "key" || bytes.Contains(raw, []byte(testSecret)) {
		t.Fatalf("entry is not sealed to the key")
	}
	if got, err := NewFileWith(dir, FileOptions{Sealer: k}).Get(ctx, "k"); err != nil || string(got) != testSecret {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// A store sealed with a key asks no passphrase: it says what to set.
	asked := false
	ask := func(context.Context, bool) (string, error) { asked = true; return "pw", nil }
	_, err := NewFileWith(dir, FileOptions{Ask: ask}).Get(ctx, "k")
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "TOK_FILE_KEY") || asked {
		t.Errorf("Get without the key: %v (asked %v)", err, asked)
	}
}

// Issue 10 item 3: a secret that does not open the entries already stored
// is refused before anything is written, at the check before a login and
// at the write itself.
func TestFileRefusesASecondSecret(t *testing.T) {
	ctx := context.Background()
	key, _ := GenerateKey()
	other, _ := GenerateKey()
	tests := []struct {
		name        string
		first, then FileOptions
		wantHint    string
	}{
		{"wrong passphrase", FileOptions{Passphrase: "right"}, FileOptions{Passphrase: "wrong"}, "sealed with a passphrase"},
		{"typo at the prompt", FileOptions{Passphrase: "right"},
			FileOptions{Ask: func(context.Context, bool) (string, error) { return "rihgt", nil }}, "sealed with a passphrase"},
		{"key over a passphrase", FileOptions{Passphrase: "right"}, FileOptions{Sealer: key, Source: "TOK_FILE_KEY"}, "sealed with a passphrase"},
		{"other key", FileOptions{Sealer: key}, FileOptions{Sealer: other, Source: "TOK_FILE_KEY"}, "sealed with a key"},
		{"passphrase over a key", FileOptions{Sealer: key}, FileOptions{Passphrase: "pw"}, "sealed with a key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := NewFileWith(dir, tt.first).Set(ctx, "token:corp:first", []byte(testSecret)); err != nil {
				t.Fatal(err)
			}
			b := NewFileWith(dir, tt.then)
			err := b.(interface{ CheckWritable(context.Context) error }).CheckWritable(ctx)
			if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "cannot decrypt the file store: wrong") ||
				!strings.Contains(tokerr.HintOf(err), tt.wantHint) {
				t.Fatalf("CheckWritable = %v (hint %q), want exit 5", err, tokerr.HintOf(err))
			}
			if !errors.Is(err, ErrWrongKey) {
				t.Errorf("CheckWritable = %v, not ErrWrongKey", err)
			}
			if err := b.Set(ctx, "token:corp:second", []byte("v")); tokerr.ExitCode(err) != 5 {
				t.Fatalf("Set = %v, want exit 5", err)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 1 {
				t.Errorf("%d files in the store, want only the first entry", len(files))
			}
		})
	}
}

// The right secret is checked once per process, and a read that opened an
// entry counts as the check.
func TestFileChecksOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k, _ := GenerateKey()
	if err := NewFileWith(dir, FileOptions{Sealer: k}).Set(ctx, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	c := &countingSealer{Sealer: k}
	b := NewFileWith(dir, FileOptions{Sealer: c})
	for _, key := range []string{"b", "c", "a"} {
		if err := b.Set(ctx, key, []byte("2")); err != nil {
			t.Fatal(err)
		}
	}
	if c.opens != 1 {
		t.Errorf("three writes opened %d entries, want 1 check", c.opens)
	}
	c2 := &countingSealer{Sealer: k}
	b2 := NewFileWith(dir, FileOptions{Sealer: c2})
	if _, err := b2.Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := b2.Set(ctx, "a", []byte("3")); err != nil || c2.opens != 1 {
		t.Errorf("read then write: %v, %d opens, want 1", err, c2.opens)
	}
}

type countingSealer struct {
	Sealer
	opens int
}

func (c *countingSealer) Open(b []byte) ([]byte, error) { c.opens++; return c.Sealer.Open(b) }
