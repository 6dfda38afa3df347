package store

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"filippo.io/age"
)

// A Sealer (see etcd_seal.go for the interface and PassphraseSealer) is
// what the file store and the etcd store encrypt records with: one secret
// for both, chosen by the user (README "File store keys").
//
//   - KeySealer: an age X25519 identity (TOK_FILE_KEY, TOK_FILE_KEY_FILE or
//     file_key_file). Opening a record costs one X25519 operation, well
//     under a millisecond: meant for CI and fleets.
//   - PassphraseSealer: age scrypt at work factor 15, about 100 ms of CPU
//     for each record opened or sealed.
//
// CheckOpens tells whether a Sealer opens a value already stored, so that a
// store is never split between two secrets.

// KeySealer seals with age to one X25519 identity.
type KeySealer struct{ id *age.X25519Identity }

// keyPrefix starts every age X25519 identity.
const keyPrefix = "AGE-SECRET-KEY-1"

// ErrNotAKey is returned by ParseKey for anything but one age X25519
// identity. It never carries the text it was given.
var ErrNotAKey = errors.New("not an age identity (AGE-SECRET-KEY-1...)")

// GenerateKey returns a KeySealer on a new random identity.
func GenerateKey() (*KeySealer, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	return &KeySealer{id: id}, nil
}

// ParseKey reads an identity as `tok keygen` prints it or as age-keygen
// writes a key file: one AGE-SECRET-KEY-1... line, blank lines and
// # comments allowed around it. Errors are ErrNotAKey.
func ParseKey(text string) (*KeySealer, error) {
	var found string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if found != "" || !strings.HasPrefix(strings.ToUpper(line), keyPrefix) {
			return nil, ErrNotAKey
		}
		found = line
	}
	if found == "" || sc.Err() != nil {
		return nil, ErrNotAKey
	}
	id, err := age.ParseX25519Identity(strings.ToUpper(found))
	if err != nil {
		return nil, ErrNotAKey
	}
	return &KeySealer{id: id}, nil
}

// Identity is the secret identity, AGE-SECRET-KEY-1...
func (k *KeySealer) Identity() string { return k.id.String() }

// Recipient is the public half, age1...: what others encrypt to.
func (k *KeySealer) Recipient() string { return k.id.Recipient().String() }

// Seal encrypts plain to the identity's recipient.
func (k *KeySealer) Seal(plain []byte) ([]byte, error) {
	return sealTo(plain, k.id.Recipient())
}

// sealTo encrypts plain with age to one recipient (a key or a passphrase).
func sealTo(plain []byte, rcpt age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Open decrypts sealed: ErrWrongKey when it was sealed to another key or
// to a passphrase, ErrCorrupt when it is damaged.
func (k *KeySealer) Open(sealed []byte) ([]byte, error) {
	return openAge(sealed, k.id)
}

// openAge decrypts with id and maps age's errors to ErrWrongKey and
// ErrCorrupt, which carry none of the sealed bytes.
func openAge(sealed []byte, id age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.Is(err, age.ErrIncorrectIdentity) || errors.As(err, &nm) {
			return nil, ErrWrongKey
		}
		return nil, ErrCorrupt
	}
	v, err := io.ReadAll(r)
	if err != nil {
		return nil, ErrCorrupt
	}
	return v, nil
}

// CheckOpens reports whether s opens sealed, a value already stored: nil,
// ErrWrongKey when another secret sealed it, ErrCorrupt when it is
// damaged. Stores call it before their first write with s, so that a
// mistyped passphrase or a new key is refused instead of splitting the
// store between two secrets (README "File store keys").
func CheckOpens(s Sealer, sealed []byte) error {
	_, err := s.Open(sealed)
	return err
}

// SealedWith names what sealed an age value: "passphrase", "key", or ""
// when its header does not say. The header is public: it holds no secret.
func SealedWith(sealed []byte) string {
	hdr, _, _ := bytes.Cut(sealed, []byte("\n---"))
	switch {
	case !bytes.HasPrefix(hdr, ageHeader):
		return ""
	case bytes.Contains(hdr, []byte("\n-> scrypt ")):
		return "passphrase"
	case bytes.Contains(hdr, []byte("\n-> X25519 ")):
		return "key"
	}
	return ""
}
