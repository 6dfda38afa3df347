package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Entry describes one login without any secret, for `tok status`.
type Entry struct {
	Provider string    `json:"provider"`
	Account  string    `json:"account"`
	Scopes   []string  `json:"scopes,omitempty"`
	Expiry   time.Time `json:"expiry,omitzero"`
	// ExpiryUnknown: the provider gave no lifetime (Expiry is assumed).
	ExpiryUnknown bool      `json:"expiry_unknown,omitempty"`
	Refreshable   bool      `json:"refreshable"`
	ObtainedAt    time.Time `json:"obtained_at,omitzero"`
	Issuer        string    `json:"issuer,omitempty"`
	Identity      *Identity `json:"identity,omitempty"`
	// Store is the backend holding the secrets: "keyring" or "file".
	Store string `json:"store"`
	// RefreshRejectedAt is when the provider last refused this login's
	// refresh token (invalid_grant): the login needs a new consent. A
	// save of the login (a new login, a refresh) clears it.
	RefreshRejectedAt time.Time `json:"refresh_rejected_at,omitzero"`
}

// Index lists logins in a directory of small JSON files, one per login, so
// status can list them without a keyring listing API, and so processes
// saving different logins never write the same file.
//
// Each store has a directory of its own under STATE_DIR/logins (README
// "Where tokens are kept"): the keyring's per service, the file store's, so that stores
// sharing a state dir never see, nor overwrite, each other's entries.
// Entries written before that (files directly in STATE_DIR/logins) are
// moved into the directory of the store that holds their record when the
// index is listed.
type Index struct {
	Dir string
	// Legacy is the directory of entries of every store, as tok wrote them
	// before each store had its own ("" for none). Kind is the store
	// kind (Entry.Store) whose legacy entries this index may claim; Holds,
	// when set, must also confirm that the store holds the login's record
	// (a keyring service of several on one state dir).
	Legacy string
	Kind   string
	Holds  func(provider, account string) bool
}

// NewIndex returns the index of the logins of every store, as kept in the
// state directory before each store had its own (see StoreIndex).
func NewIndex(stateDir string) *Index {
	return &Index{Dir: filepath.Join(stateDir, "logins")}
}

// StoreIndex returns the index of one store kept in the state directory:
// id names the store ("file", "keyring-" and the service), kind is its
// Entry.Store value ("file", "keyring"). holds may be nil.
func StoreIndex(stateDir, id, kind string, holds func(provider, account string) bool) *Index {
	top := filepath.Join(stateDir, "logins")
	return &Index{Dir: filepath.Join(top, escapeName(id)), Legacy: top, Kind: kind, Holds: holds}
}

// entryFile names the file of a login. Provider names may be URLs, so
// anything but [A-Za-z0-9_-] is %-escaped (dots too: no "." or ".." names);
// names too long for a file system fall back to a hash.
func entryFile(provider, account string) string {
	name := escapeName(provider) + "~" + escapeName(account)
	if len(name) > 180 {
		sum := sha256.Sum256([]byte(provider + "\x00" + account))
		name = "h-" + hex.EncodeToString(sum[:])
	}
	return name + ".json"
}

func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Put records e, replacing any entry for the same provider and account.
func (x *Index) Put(e Entry) error {
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := ensurePrivateDir(x.Dir); err != nil {
		return fmt.Errorf("cannot create the login index: %w", err)
	}
	if err := writeFileAtomic(x.Dir, entryFile(e.Provider, e.Account), data); err != nil {
		return fmt.Errorf("cannot write the login index: %w", err)
	}
	return nil
}

// Delete forgets a login. An absent entry is not an error.
func (x *Index) Delete(provider, account string) error {
	err := os.Remove(filepath.Join(x.Dir, entryFile(provider, account)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot update the login index: %w", err)
	}
	return nil
}

// Get returns the entry of one login, or ErrNotFound.
func (x *Index) Get(provider, account string) (Entry, error) {
	e, err := readEntry(filepath.Join(x.Dir, entryFile(provider, account)))
	if errors.Is(err, os.ErrNotExist) {
		return Entry{}, ErrNotFound
	}
	return e, err
}

// List returns every login, sorted by provider then account. Files that
// do not parse are skipped: the index holds no secrets and is rewritten on
// the next save, so one stray file must not break status.
func (x *Index) List() ([]Entry, error) {
	out, _, err := x.Scan()
	return out, err
}

// Scan is List that also returns the names of the files it could not read,
// for status to warn about.
func (x *Index) Scan() (entries []Entry, unreadable []string, err error) {
	x.claimLegacy()
	return x.scan()
}

// claimLegacy moves the entries of the old shared directory that belong to
// this store into its own directory. Best effort: an entry it cannot move
// stays where it is, for the next listing.
func (x *Index) claimLegacy() {
	if x.Legacy == "" {
		return
	}
	old, _, err := (&Index{Dir: x.Legacy}).scan()
	if err != nil {
		return
	}
	for _, e := range old {
		kind := e.Store
		if kind == "" {
			kind = "keyring"
		}
		if kind != x.Kind {
			continue
		}
		if _, err := x.Get(e.Provider, e.Account); err == nil {
			continue
		}
		if x.Holds != nil && !x.Holds(e.Provider, e.Account) {
			continue
		}
		if x.Put(e) == nil {
			os.Remove(filepath.Join(x.Legacy, entryFile(e.Provider, e.Account)))
		}
	}
}

func (x *Index) scan() (entries []Entry, unreadable []string, err error) {
	des, err := os.ReadDir(x.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the login index: %w", err)
	}
	var out []Entry
	for _, de := range des {
		if de.IsDir() || strings.HasPrefix(de.Name(), tempPrefix) || !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		if e, err := readEntry(filepath.Join(x.Dir, de.Name())); err == nil {
			out = append(out, e)
		} else {
			unreadable = append(unreadable, de.Name())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Account < out[j].Account
	})
	return out, unreadable, nil
}

// EntryLogin is the provider and account an index file name stands for
// (the inverse of entryFile), ok false for a hashed or foreign name.
func EntryLogin(file string) (provider, account string, ok bool) {
	name, isJSON := strings.CutSuffix(file, ".json")
	p, a, two := strings.Cut(name, "~")
	if !isJSON || !two || strings.HasPrefix(name, "h-") {
		return "", "", false
	}
	p, perr := url.PathUnescape(p)
	a, aerr := url.PathUnescape(a)
	if perr != nil || aerr != nil || p == "" || a == "" || entryFile(p, a) != file {
		return "", "", false
	}
	return p, a, true
}

// MarkRefreshRejected records in a login's entry that the provider refused
// its refresh token, for status. A missing entry is left missing.
func (x *Index) MarkRefreshRejected(provider, account string, at time.Time) error {
	e, err := x.Get(provider, account)
	if err != nil {
		return err
	}
	e.RefreshRejectedAt = at.UTC()
	return x.Put(e)
}

func readEntry(path string) (Entry, error) {
	var e Entry
	data, err := os.ReadFile(path)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(data, &e); err != nil || e.Provider == "" {
		return e, fmt.Errorf("login index file %s is unreadable", filepath.Base(path))
	}
	return e, nil
}
