package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/tok-cli/tok/internal/atomicfile"
	"io"
	"os"
	"path/filepath"
	"sync"

	"filippo.io/age"
	"github.com/tok-cli/tok/internal/tokerr"
)

// scryptWorkFactor keeps one decryption near 50-100 ms: tok runs per
// command, and `tok exec` may read several tokens.
const scryptWorkFactor = 15

var ageHeader = []byte("age-encryption.org/v1\n")

// fileBackend keeps one age-encrypted file per key in a 0700 directory.
type fileBackend struct {
	dir       string
	plaintext bool
	source    string // where the passphrase comes from, for messages
	ask       func(ctx context.Context, confirm bool) (string, error)

	mu         sync.Mutex
	passphrase string
}

// FileOptions configure the file backend.
type FileOptions struct {
	Passphrase string
	// Source names where Passphrase came from ("TOK_PASSPHRASE",
	// "TOK_PASSPHRASE_FILE"), for messages.
	Source string
	// Ask, when Passphrase is empty, asks a person for it the first time
	// an encrypted entry is read or written. confirm asks to type it
	// twice: the store holds nothing encrypted yet.
	Ask func(ctx context.Context, confirm bool) (string, error)
	// Plaintext allows writing without a passphrase.
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
	if o.Source == "" {
		o.Source = "TOK_PASSPHRASE"
	}
	return &fileBackend{dir: dir, passphrase: o.Passphrase, plaintext: o.Plaintext, source: o.Source, ask: o.Ask}
}

// key returns the passphrase, asking for it once when none was given and
// mayAsk; confirm says whether to ask for it twice.
func (f *fileBackend) key(ctx context.Context, mayAsk bool, confirm func() bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.passphrase != "" || f.ask == nil || !mayAsk {
		return f.passphrase, nil
	}
	p, err := f.ask(ctx, confirm())
	if err != nil {
		return "", err
	}
	f.passphrase, f.source = p, "passphrase"
	return p, nil
}

// holdsEncrypted reports whether the store already has an encrypted entry,
// so that a new passphrase is not chosen by a single mistyped prompt.
func (f *fileBackend) holdsEncrypted() bool {
	names, _ := filepath.Glob(filepath.Join(f.dir, "*.tok"))
	for _, n := range names {
		b := make([]byte, len(ageHeader))
		fh, err := os.Open(n)
		if err != nil {
			continue
		}
		_, err = io.ReadFull(fh, b)
		fh.Close()
		if err == nil && bytes.Equal(b, ageHeader) {
			return true
		}
	}
	return false
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
	return f.decrypt(ctx, key, data)
}

func (f *fileBackend) decrypt(ctx context.Context, key string, data []byte) ([]byte, error) {
	passphrase, err := f.key(ctx, true, func() bool { return false })
	if err != nil {
		return nil, err
	}
	if passphrase == "" {
		return nil, tokerr.New(tokerr.StoreUnavailable, "the file store is encrypted: set TOK_PASSPHRASE or TOK_PASSPHRASE_FILE")
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	// A file with a huge work factor would stall every command; ours use 15.
	id.SetMaxWorkFactor(scryptWorkFactor + 3)
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, tokerr.New(tokerr.StoreUnavailable, "cannot decrypt the file store: wrong %s", f.source)
	}
	if err != nil {
		return nil, fmt.Errorf("file store entry %s: %w", key, ErrCorrupt)
	}
	v, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("file store entry %s: %w", key, ErrCorrupt)
	}
	return v, nil
}

func (f *fileBackend) Set(ctx context.Context, key string, value []byte) error {
	passphrase, err := f.writeKey(ctx)
	if err != nil {
		return err
	}
	data := value
	if passphrase != "" {
		if data, err = f.encrypt(passphrase, value); err != nil {
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

func (f *fileBackend) encrypt(passphrase string, value []byte) ([]byte, error) {
	rcpt, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	rcpt.SetWorkFactor(scryptWorkFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(value); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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

// writeKey is the passphrase Set encrypts with, asked for when it may be;
// "" only when file_plaintext: true, the person's choice.
func (f *fileBackend) writeKey(ctx context.Context) (string, error) {
	passphrase, err := f.key(ctx, !f.plaintext, func() bool { return !f.holdsEncrypted() })
	if err != nil {
		return "", err
	}
	if passphrase == "" && !f.plaintext {
		return "", tokerr.New(tokerr.StoreUnavailable, "file store needs a passphrase: set TOK_PASSPHRASE or TOK_PASSPHRASE_FILE, or file_plaintext: true in the config")
	}
	return passphrase, nil
}

// CheckWritable tells before a login whether Set will be able to write.
func (f *fileBackend) CheckWritable(ctx context.Context) error {
	_, err := f.writeKey(ctx)
	return err
}
