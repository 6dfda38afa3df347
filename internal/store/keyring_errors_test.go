package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

func TestKeyringCorrupt(t *testing.T) {
	ctx := context.Background()
	const secretish = "gho_SECRETSECRETSECRET"
	tests := []struct {
		name   string
		tamper func(items map[string]string)
	}{
		{"foreign head", func(m map[string]string) { m["tok-test\x00k"] = secretish }},
		{"bad base64", func(m map[string]string) { m["tok-test\x00k"] = smallPrefix + secretish + "!" }},
		{"chunk changed", func(m map[string]string) {
			for k := range m {
				if strings.HasSuffix(k, "#0") {
					m[k] = "QUFB" + m[k][4:]
				}
			}
		}},
		{"chunk missing", func(m map[string]string) {
			for k := range m {
				if strings.HasSuffix(k, "#1") {
					delete(m, k)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeKV()
			b := newChunkedKeyring("tok-test", time.Second, fake)
			if err := b.Set(ctx, "k", []byte(strings.Repeat(secretish, 400))); err != nil {
				t.Fatal(err)
			}
			tt.tamper(fake.items)
			_, err := b.Get(ctx, "k")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get: %v, want ErrCorrupt", err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error echoes the stored value: %v", err)
			}
		})
	}
}

func TestKeyringTimeout(t *testing.T) {
	fake := newFakeKV()
	fake.hang = make(chan struct{})
	defer close(fake.hang)
	b := newChunkedKeyring("tok-test", 50*time.Millisecond, fake)
	start := time.Now()
	_, err := b.Get(context.Background(), "k")
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("Get on a hung keyring: %v (exit %d), want exit 5", err, tokerr.ExitCode(err))
	}
	if tokerr.HintOf(err) == "" {
		t.Error("no hint on an unreachable keyring")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Get took %s despite a 50ms timeout", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newChunkedKeyring("tok-test", time.Minute, fake).Set(ctx, "k", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Set with a cancelled context: %v", err)
	}
}

func TestKeyringDefaultTimeout(t *testing.T) {
	if b := NewKeyring("tok", 0).(*keyringBackend); b.timeout != DefaultKeyringTimeout {
		t.Errorf("timeout = %s, want %s", b.timeout, DefaultKeyringTimeout)
	}
}
