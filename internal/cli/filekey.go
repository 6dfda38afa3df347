package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// maxKeyFile bounds what is read from a key file: an identity with
// age-keygen's comments is under 200 bytes.
const maxKeyFile = 64 << 10

// sealer is the secret that seals the file store and the etcd store
// (README "File store keys"), and where it came from, for messages:
// TOK_FILE_KEY, else TOK_FILE_KEY_FILE or file_key_file, else
// TOK_PASSPHRASE (or passphrase:), else TOK_PASSPHRASE_FILE. nil when none
// is given: the file store may then ask for a passphrase.
func (a *App) sealer() (store.Sealer, string, error) {
	if k := a.getenv("TOK_FILE_KEY"); k != "" {
		s, err := parseKey(k, "TOK_FILE_KEY")
		return s, "TOK_FILE_KEY", err
	}
	if path, source := a.keyFile(); path != "" {
		s, err := readKeyFile(path, source, a.Stderr)
		return s, source, err
	}
	if p := a.cfg.Passphrase; p != "" {
		return store.PassphraseSealer{Passphrase: p}, "TOK_PASSPHRASE", nil
	}
	if path := a.getenv("TOK_PASSPHRASE_FILE"); path != "" {
		p, err := readPassphraseFile(path, a.Stderr)
		if err != nil {
			return nil, "", err
		}
		return store.PassphraseSealer{Passphrase: p}, "TOK_PASSPHRASE_FILE", nil
	}
	return nil, "", nil
}

// keyFile is TOK_FILE_KEY_FILE, else file_key_file: in the config, where
// ~/ is the home directory and a relative path is relative to the config
// file's directory.
func (a *App) keyFile() (path, source string) {
	if p := a.getenv("TOK_FILE_KEY_FILE"); p != "" {
		return p, "TOK_FILE_KEY_FILE"
	}
	p := a.cfg.FileKeyFile
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, rest)
		}
	}
	if p != "" && !filepath.IsAbs(p) && a.cfg.File != "" {
		p = filepath.Join(filepath.Dir(a.cfg.File), p)
	}
	if p != "" {
		return p, "file_key_file"
	}
	return "", ""
}

func parseKey(text, source string) (*store.KeySealer, error) {
	k, err := store.ParseKey(text)
	if err != nil {
		return nil, tokerr.New(tokerr.StoreUnavailable, "%s is not an age identity (AGE-SECRET-KEY-1...)", source).
			WithHint("tok keygen makes one")
	}
	return k, nil
}

// readKeyFile reads an identity from a file, as tok keygen or age-keygen
// writes it, warning when others can read it.
func readKeyFile(path, source string, stderr io.Writer) (*store.KeySealer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, tokerr.Wrap(tokerr.StoreUnavailable, errors.Unwrap(err), "cannot read %s %s", source, path)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		warnTo(stderr, "%s %s can be read by other users (mode %04o): chmod 600 %s", source, path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, tokerr.Wrap(tokerr.StoreUnavailable, err, "cannot read %s %s", source, path)
	}
	if len(b) > maxKeyFile {
		return nil, tokerr.New(tokerr.StoreUnavailable, "%s %s is larger than %d KiB: is it the right file?", source, path, maxKeyFile>>10)
	}
	return parseKey(string(b), source+" "+path)
}
