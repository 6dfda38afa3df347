package store

import (
	"bytes"
	"errors"
	"fmt"

	"filippo.io/age"

	"github.com/tok-cli/tok/internal/tokerr"
)

// Sealer encrypts a value before it leaves the host, and opens one read
// back. Open returns ErrWrongKey when the value was sealed to another key.
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// ErrWrongKey is returned by Sealer.Open for a value sealed to another key
// or passphrase.
var ErrWrongKey = errors.New("sealed to another key")

// PassphraseSealer seals with age to a passphrase (scrypt, the file
// store's work factor). The passphrase must not be empty.
type PassphraseSealer struct{ Passphrase string }

func (p PassphraseSealer) Seal(plain []byte) ([]byte, error) {
	rcpt, err := age.NewScryptRecipient(p.Passphrase)
	if err != nil {
		return nil, err
	}
	rcpt.SetWorkFactor(scryptWorkFactor)
	return sealTo(plain, rcpt)
}

func (p PassphraseSealer) Open(sealed []byte) ([]byte, error) {
	id, err := age.NewScryptIdentity(p.Passphrase)
	if err != nil {
		return nil, err
	}
	id.SetMaxWorkFactor(scryptWorkFactor + 3)
	return openAge(sealed, id)
}

func (e *Etcd) seal(value []byte) ([]byte, error) {
	if e.o.Seal == nil {
		return nil, errNoFleetKey
	}
	return e.o.Seal.Seal(value)
}

// errNoFleetKey is the error of a store without a Sealer.
var errNoFleetKey = tokerr.New(tokerr.StoreUnavailable, "the etcd store needs the fleet's key or passphrase").
	WithHint("set TOK_FILE_KEY_FILE (tok keygen makes a key), TOK_FILE_KEY, TOK_PASSPHRASE or TOK_PASSPHRASE_FILE: the same on every host")

// open opens a record read from the cluster. Anything but age ciphertext
// is refused: etcd never holds a record in clear.
func (e *Etcd) open(key string, sealed []byte) ([]byte, error) {
	if !bytes.HasPrefix(sealed, ageHeader) {
		return nil, fmt.Errorf("etcd record %s: %w", key, ErrCorrupt)
	}
	if e.o.Seal == nil {
		return nil, errNoFleetKey
	}
	v, err := e.o.Seal.Open(sealed)
	if errors.Is(err, ErrWrongKey) {
		return nil, tokerr.New(tokerr.StoreUnavailable, "this host's key does not open the fleet's records (under %s on etcd)", e.o.Prefix).
			WithHint("give this host the passphrase or key the other hosts use")
	}
	if errors.Is(err, ErrCorrupt) {
		return nil, fmt.Errorf("etcd record %s: %w", key, ErrCorrupt)
	}
	return v, err
}
