package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
)

// countingBackend counts the calls tok makes to its store.
type countingBackend struct {
	store.Backend
	mu    sync.Mutex
	calls []string
}

func (c *countingBackend) note(op, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, op+" "+key)
}

func (c *countingBackend) Get(ctx context.Context, key string) ([]byte, error) {
	c.note("get", key)
	return c.Backend.Get(ctx, key)
}

func (c *countingBackend) Set(ctx context.Context, key string, v []byte) error {
	c.note("set", key)
	return c.Backend.Set(ctx, key, v)
}

func (c *countingBackend) Delete(ctx context.Context, key string) error {
	c.note("delete", key)
	return c.Backend.Delete(ctx, key)
}

// The fast path of print and exec, a fresh token in the store, reads the
// store once: the login's record, one keyring item on Linux (issue 11; the
// store's TestKeyringOneItemWithoutCap shows the item is one keyring
// read). No registration, no second record, no write.
func TestFastPathReadsTheStoreOnce(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"print", "dex"},
		{"print", "dex", "--format", "json"},
		{"print", "dex:default", "--format", "header"},
		{"exec", "dex", "--", "true"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := newFastTok(t)
			imported(f)
			c := &countingBackend{Backend: f.store}
			var stdout, stderr strings.Builder
			a := NewApp(strings.NewReader(""), &stdout, &stderr)
			a.LookupEnv = envOf(f.env)
			a.Environ = func() []string { return nil }
			a.Now = func() time.Time { return f.now.Add(time.Minute) }
			a.Backend = c
			a.OpenBrowser = func(string) (<-chan error, error) { return nil, fmt.Errorf("no browser") }
			if code := a.Run(t.Context(), args); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			want := "get " + store.TokenKey("dex", "default")
			if len(c.calls) != 1 || c.calls[0] != want {
				t.Errorf("store calls %q, want only %q", c.calls, want)
			}
			f.op.mu.Lock()
			defer f.op.mu.Unlock()
			if f.op.n != 0 {
				t.Errorf("%d requests to the provider, want none", f.op.n)
			}
		})
	}
}
