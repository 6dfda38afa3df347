// Package memstore is a store.Backend in memory, for tests that run tok's
// commands in-process (the fast tier of internal/cli) without a keyring or
// a file store.
package memstore

import (
	"context"
	"maps"
	"sync"

	"github.com/tok-cli/tok/internal/store"
)

// Backend keeps records in a map. It is safe for concurrent use.
type Backend struct {
	mu sync.Mutex
	m  map[string][]byte
	// Fail, when set, is returned by every call: a keyring that cannot be
	// reached, say.
	Fail error
}

// New returns an empty Backend.
func New() *Backend { return &Backend{m: map[string][]byte{}} }

// Get returns the value under key, or store.ErrNotFound.
func (b *Backend) Get(_ context.Context, key string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Fail != nil {
		return nil, b.Fail
	}
	v, ok := b.m[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

// Set stores a copy of value under key.
func (b *Backend) Set(_ context.Context, key string, value []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Fail != nil {
		return b.Fail
	}
	b.m[key] = append([]byte(nil), value...)
	return nil
}

// Delete removes key; an absent key is not an error.
func (b *Backend) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Fail != nil {
		return b.Fail
	}
	delete(b.m, key)
	return nil
}

// Name is "memory", for messages.
func (b *Backend) Name() string { return "memory" }

// Snapshot returns a copy of every record, for assertions.
func (b *Backend) Snapshot() map[string][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.m)
}
