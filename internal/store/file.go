package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"
	"github.com/tok-cli/tok/internal/tokerr"
)

// scryptWorkFactor keeps one decryption near 50-100 ms: tok runs per
// command, and `tok exec` may read several tokens.
const scryptWorkFactor = 15

var ageHeader = []byte("age-encryption.org/v1\n")

// fileBackend keeps one age-encrypted file per key in a 0700 directory.
type fileBackend struct {
	dir        string
	passphrase string
	plaintext  bool
}

// NewFile returns a Backend that stores each key in its own file in dir,
// encrypted to passphrase with age (scrypt). With no passphrase it writes
// only if plaintext is true, and then writes the value unencrypted.
func NewFile(dir, passphrase string, plaintext bool) Backend {
	return &fileBackend{dir: dir, passphrase: passphrase, plaintext: plaintext}
}

func (f *fileBackend) Name() string { return "file" }

// path names the file for key by a hash: keys hold URLs and colons, and
// the hash keeps names short and free of path separators on every system.
func (f *fileBackend) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(f.dir, hex.EncodeToString(sum[:])+".tok")
}

func (f *fileBackend) Get(_ context.Context, key string) ([]byte, error) {
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
	return f.decrypt(key, data)
}

func (f *fileBackend) decrypt(key string, data []byte) ([]byte, error) {
	if f.passphrase == "" {
		return nil, tokerr.New(tokerr.StoreUnavailable, "the file store is encrypted: set TOK_PASSPHRASE")
	}
	id, err := age.NewScryptIdentity(f.passphrase)
	if err != nil {
		return nil, err
	}
	// A file with a huge work factor would stall every command; ours use 15.
	id.SetMaxWorkFactor(scryptWorkFactor + 3)
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, tokerr.New(tokerr.StoreUnavailable, "cannot decrypt the file store: wrong TOK_PASSPHRASE")
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

func (f *fileBackend) Set(_ context.Context, key string, value []byte) error {
	if f.passphrase == "" && !f.plaintext {
		return tokerr.New(tokerr.StoreUnavailable, "file store needs a passphrase: set TOK_PASSPHRASE, or file_plaintext: true in the config")
	}
	data := value
	if f.passphrase != "" {
		var err error
		if data, err = f.encrypt(value); err != nil {
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

func (f *fileBackend) encrypt(value []byte) ([]byte, error) {
	rcpt, err := age.NewScryptRecipient(f.passphrase)
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
	return syncDir(f.dir)
}
