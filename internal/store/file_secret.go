package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/tok-cli/tok/internal/tokerr"
)

// readSealer is the sealer that opens data, asking for a passphrase once
// when none was given and data was sealed with one.
func (f *fileBackend) readSealer(ctx context.Context, data []byte) (Sealer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sealer == nil && f.ask != nil && SealedWith(data) != "key" {
		if err := f.askLocked(ctx, false); err != nil {
			return nil, err
		}
	}
	if f.sealer == nil {
		return nil, noSecret(data)
	}
	return f.sealer, nil
}

// writeSealer is the sealer Set encrypts with, asked for when it may be,
// after checking that it opens an entry already stored; nil only with
// file_plaintext: true, the person's choice.
func (f *fileBackend) writeSealer(ctx context.Context) (Sealer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sealer == nil && f.plaintext {
		return nil, nil
	}
	stored := f.storedEntry()
	if f.sealer == nil && f.ask != nil && SealedWith(stored) != "key" {
		if err := f.askLocked(ctx, stored == nil); err != nil {
			return nil, err
		}
	}
	if f.sealer == nil {
		return nil, tokerr.New(tokerr.StoreUnavailable, "file store needs a key or a passphrase: set TOK_FILE_KEY, TOK_FILE_KEY_FILE, TOK_PASSPHRASE or TOK_PASSPHRASE_FILE, or file_plaintext: true in the config").
			WithHint("tok keygen makes a key")
	}
	if !f.checked && stored != nil {
		// One entry is enough: every entry was sealed after this check.
		if err := CheckOpens(f.sealer, stored); errors.Is(err, ErrWrongKey) {
			return nil, f.wrongSecret(stored)
		}
	}
	f.checked = true
	return f.sealer, nil
}

// askLocked asks a person for the passphrase; confirm asks twice, for a
// store that holds nothing encrypted yet.
func (f *fileBackend) askLocked(ctx context.Context, confirm bool) error {
	p, err := f.ask(ctx, confirm)
	if err != nil {
		return err
	}
	if p != "" {
		f.sealer, f.source = PassphraseSealer{Passphrase: p}, "passphrase"
	}
	return nil
}

// storedEntry returns one encrypted entry of the store, nil when it holds
// none: the entry a new secret is checked against.
func (f *fileBackend) storedEntry() []byte {
	names, _ := filepath.Glob(filepath.Join(f.dir, "*.tok"))
	for _, n := range names {
		if data, err := os.ReadFile(n); err == nil && bytes.HasPrefix(data, ageHeader) {
			return data
		}
	}
	return nil
}

// wrongSecretError is the text of a wrongSecret error that errors.Is
// knows as ErrWrongKey, so that logout --no-revoke can forget a record it
// cannot open.
type wrongSecretError string

func (e wrongSecretError) Error() string        { return string(e) }
func (e wrongSecretError) Is(target error) bool { return target == ErrWrongKey }

// wrongSecret is the exit-5 error for a secret that does not open data.
func (f *fileBackend) wrongSecret(data []byte) error {
	err := &tokerr.Error{Code: tokerr.StoreUnavailable, Err: wrongSecretError("cannot decrypt the file store: wrong " + f.source)}
	switch SealedWith(data) {
	case "key":
		return err.WithHint("the file store is sealed with a key: set the TOK_FILE_KEY or TOK_FILE_KEY_FILE it was made with")
	case "passphrase":
		return err.WithHint("the file store is sealed with a passphrase: set the TOK_PASSPHRASE or TOK_PASSPHRASE_FILE it was made with")
	}
	return err
}

// noSecret is the exit-5 error for an encrypted entry and no secret.
func noSecret(data []byte) error {
	if SealedWith(data) == "key" {
		return tokerr.New(tokerr.StoreUnavailable, "the file store is sealed with a key: set TOK_FILE_KEY or TOK_FILE_KEY_FILE")
	}
	return tokerr.New(tokerr.StoreUnavailable, "the file store is encrypted: set TOK_PASSPHRASE or TOK_PASSPHRASE_FILE")
}
