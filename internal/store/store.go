// Package store keeps token records and client registrations: in the OS
// keyring (default) or in age-encrypted files, plus a non-secret index of
// logins in the state directory so that status can list them.
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned by a Backend for a key that holds nothing.
var ErrNotFound = errors.New("not found")

// Backend holds secret values by key. Implementations must be safe to use
// from several processes at once for different keys, and must leave a key
// either at its old or its new value when the process dies mid-Set.
// Errors that mean "the store itself is unreachable" are tokerr errors with
// code StoreUnavailable.
type Backend interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
	// Name is "keyring" or "file", for messages.
	Name() string
}
