// Package store keeps token records and client registrations: in the OS
// keyring (default) or in age-encrypted files, plus a non-secret index of
// logins in the state directory so that status can list them.
package store

import (
	"context"
	"errors"
	"fmt"
	"github.com/tok-cli/tok/internal/tokerr"
	"path/filepath"
	"time"
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
	// Delete of an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Name is "keyring" or "file", for messages.
	Name() string
}

// FileDir is where the file backend keeps its files inside the state dir.
func FileDir(stateDir string) string { return filepath.Join(stateDir, "secrets") }

// Store keeps login records in a Backend and mirrors each login's
// non-secret facts in an Index for status.
type Store struct {
	backend Backend
	index   *Index
}

// New returns a Store on b. idx may be nil, for a store without an index.
func New(b Backend, idx *Index) *Store { return &Store{backend: b, index: idx} }

// Backend returns the backend the store writes to.
func (s *Store) Backend() Backend { return s.backend }

// TokenKey is the backend key of a login's record. Keys stay plain
// strings; backends escape them as they need.
func TokenKey(provider, account string) string { return "token:" + provider + ":" + account }

// Load returns the record of a login: ErrNotFound when there is none,
// ErrCorrupt (or a version error) when it cannot be read. No error carries
// the stored bytes.
func (s *Store) Load(ctx context.Context, provider, account string) (*Record, error) {
	b, err := s.backend.Get(ctx, TokenKey(provider, account))
	if err != nil {
		return nil, err
	}
	r, err := UnmarshalRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", provider, account, err)
	}
	return r, nil
}

// Save stores r, then its index entry. The record goes first: an entry
// without a record shows up in status as a login to redo, while a record
// without an entry would be invisible.
func (s *Store) Save(ctx context.Context, provider, account string, r *Record) error {
	b, err := r.Marshal()
	if err != nil {
		return err
	}
	if ib, ok := s.backend.(indexedBackend); ok {
		return ib.SetWithEntry(ctx, TokenKey(provider, account), b, entryOf(provider, account, r, s.backend.Name()))
	}
	if err := s.backend.Set(ctx, TokenKey(provider, account), b); err != nil {
		return err
	}
	if s.index == nil {
		return nil
	}
	return s.index.Put(entryOf(provider, account, r, s.backend.Name()))
}

func entryOf(provider, account string, r *Record, store string) Entry {
	return Entry{
		Provider: provider, Account: account, Scopes: r.Scopes, Expiry: r.Expiry, ExpiryUnknown: r.ExpiryUnknown,
		Refreshable: r.Refreshable(), ObtainedAt: r.ObtainedAt, Issuer: r.Issuer, Identity: r.Identity, Store: store,
	}
}

// EntryOf is the index entry of record r of a login, as Save writes it.
func (s *Store) EntryOf(provider, account string, r *Record) Entry {
	return entryOf(provider, account, r, s.backend.Name())
}

// MarkRefreshRejected notes in the login's index entry that the provider
// refused its refresh token (README "status"). Best effort, and only for
// the state dir's index: a fleet's index (etcd) is written with records
// only.
func (s *Store) MarkRefreshRejected(provider, account string, at time.Time) {
	if _, ok := s.backend.(indexedBackend); ok || s.index == nil {
		return
	}
	s.index.MarkRefreshRejected(provider, account, at)
}

// indexedBackend is a backend that keeps the index of logins itself, next
// to the records, written in one step with each record (etcd: one
// transaction), instead of the state dir's Index.
type indexedBackend interface {
	SetWithEntry(ctx context.Context, key string, value []byte, e Entry) error
	DeleteWithEntry(ctx context.Context, key, provider, account string) error
	Entries(ctx context.Context) ([]Entry, error)
}

// Remove forgets a login: record, then index entry. Absent is not an error.
func (s *Store) Remove(ctx context.Context, provider, account string) error {
	if ib, ok := s.backend.(indexedBackend); ok {
		return ib.DeleteWithEntry(ctx, TokenKey(provider, account), provider, account)
	}
	if err := s.RemoveRaw(ctx, TokenKey(provider, account)); err != nil {
		return err
	}
	if s.index == nil {
		return nil
	}
	return s.index.Delete(provider, account)
}

// List returns the indexed logins, sorted by provider then account.
func (s *Store) List() ([]Entry, error) {
	if ib, ok := s.backend.(indexedBackend); ok {
		return ib.Entries(context.Background())
	}
	if s.index == nil {
		return nil, nil
	}
	return s.index.List()
}

// LoadRaw returns another secret blob, such as a client registration
// ("registration:" + issuer), or ErrNotFound.
func (s *Store) LoadRaw(ctx context.Context, key string) ([]byte, error) {
	return s.backend.Get(ctx, key)
}

// SaveRaw stores a secret blob under key.
func (s *Store) SaveRaw(ctx context.Context, key string, value []byte) error {
	return s.backend.Set(ctx, key, value)
}

// RemoveRaw deletes a secret blob. Absent is not an error.
func (s *Store) RemoveRaw(ctx context.Context, key string) error {
	if err := s.backend.Delete(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// CheckWritable reports, before a consent flow, an error that a later Save
// would meet: the keyring unreachable, or a file store without a
// passphrase. A person should not approve a login tok cannot keep.
func (s *Store) CheckWritable(ctx context.Context, provider, account string) error {
	if w, ok := s.backend.(interface{ CheckWritable(context.Context) error }); ok {
		if err := w.CheckWritable(ctx); err != nil {
			return err
		}
	}
	_, err := s.Load(ctx, provider, account)
	if tokerr.ExitCode(err) == int(tokerr.StoreUnavailable) {
		return err
	}
	return nil
}
