package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/tok-cli/tok/internal/atomicfile"
	"github.com/tok-cli/tok/internal/tokerr"
)

// scryptWorkFactor keeps one decryption with a passphrase near 100 ms of
// CPU (README "File store keys"); a key costs well under a millisecond.
const scryptWorkFactor = 15

var ageHeader = []byte("age-encryption.org/v1\n")

// fileBackend keeps one age-encrypted file per key in a 0700 directory.
type fileBackend struct {
	dir       string
	plaintext bool
	source    string // where the secret comes from, for messages
	ask       func(ctx context.Context, confirm bool) (string, error)

	mu     sync.Mutex
	sealer Sealer
	// checked: the sealer opened an entry already stored, or the store
	// held none when it was first written.
	checked bool
}

// FileOptions configure the file backend.
type FileOptions struct {
	// Sealer encrypts the entries: a KeySealer or a PassphraseSealer.
	Sealer Sealer
	// Passphrase, when Sealer is nil, is a PassphraseSealer's.
	Passphrase string
	// Source names where the secret came from ("TOK_FILE_KEY",
	// "TOK_PASSPHRASE", "TOK_PASSPHRASE_FILE"), for messages.
	Source string
	// Ask, when there is no secret, asks a person for a passphrase the
	// first time an encrypted entry is read or written. confirm asks to
	// type it twice: the store holds nothing encrypted yet.
	Ask func(ctx context.Context, confirm bool) (string, error)
	// Plaintext allows writing without a secret.
	Plaintext bool
}

// NewFile returns a Backend that stores each key in its own file in dir,
// encrypted to passphrase with age (scrypt). With no passphrase it writes
// only if plaintext is true, and then writes the value unencrypted.
func NewFile(dir, passphrase string, plaintext bool) Backend {
	return NewFileWith(dir, FileOptions{Passphrase: passphrase, Plaintext: plaintext})
}

// NewFileWith is NewFile with every option.
func NewFileWith(dir string, o FileOptions) Backend {
	if o.Sealer == nil && o.Passphrase != "" {
		o.Sealer = PassphraseSealer{Passphrase: o.Passphrase}
	}
	if o.Source == "" {
		o.Source = "TOK_PASSPHRASE"
	}
	return &fileBackend{dir: dir, sealer: o.Sealer, plaintext: o.Plaintext, source: o.Source, ask: o.Ask}
}

func (f *fileBackend) Name() string { return "file" }

// path names the file for key by a hash: keys hold URLs and colons, and
// the hash keeps names short and free of path separators on every system.
func (f *fileBackend) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(f.dir, hex.EncodeToString(sum[:])+".tok")
}

func (f *fileBackend) Get(ctx context.Context, key string) ([]byte, error) {
	data, err := os.ReadFile(f.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, tokerr.Wrap(tokerr.StoreUnavailable, err, "cannot read the file store")
	}
	if !bytes.HasPrefix(data, ageHeader) {
		return data, nil // written with file_plaintext: true
	}
	s, err := f.readSealer(ctx, data)
	if err != nil {
		return nil, err
	}
	v, err := s.Open(data)
	switch {
	case errors.Is(err, ErrWrongKey):
		return nil, f.wrongSecret(data)
	case err != nil:
		return nil, fmt.Errorf("file store entry %s: %w", key, ErrCorrupt)
	}
	f.mu.Lock()
	f.checked = true
	f.mu.Unlock()
	return v, nil
}

func (f *fileBackend) Set(ctx context.Context, key string, value []byte) error {
	s, err := f.writeSealer(ctx)
	if err != nil {
		return err
	}
	data := value
	if s != nil {
		if data, err = s.Seal(value); err != nil {
			return err
		}
	}
	if err := ensurePrivateDir(f.dir); err != nil {
		return tokerr.Wrap(tokerr.StoreUnavailable, err, "cannot create the file store")
	}
	if err := writeFileAtomic(f.dir, filepath.Base(f.path(key)), data); err != nil {
		return tokerr.Wrap(tokerr.StoreUnavailable, err, "cannot write the file store")
	}
	return nil
}

// Delete removes the file for key. An absent key is not an error.
func (f *fileBackend) Delete(_ context.Context, key string) error {
	err := os.Remove(f.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return tokerr.Wrap(tokerr.StoreUnavailable, err, "cannot delete from the file store")
	}
	return atomicfile.SyncDir(f.dir)
}

// CheckWritable tells before a login whether Set will be able to write:
// a secret is there, and it opens the entries already stored.
func (f *fileBackend) CheckWritable(ctx context.Context) error {
	_, err := f.writeSealer(ctx)
	return err
}
