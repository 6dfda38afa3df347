package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"runtime"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// maxPassphraseFile bounds what is read from TOK_PASSPHRASE_FILE.
const maxPassphraseFile = 64 << 10

// fileBackend is the file store sealed with the secret a.sealer finds,
// else, when a person sits at the terminal, with a passphrase asked for on
// the terminal the first time it is needed.
func (a *App) fileBackend() (store.Backend, error) {
	s, source, err := a.sealer()
	if err != nil {
		return nil, err
	}
	o := store.FileOptions{Sealer: s, Source: source, Plaintext: a.cfg.FilePlaintext}
	if s == nil && a.interactive() {
		o.Ask = askPassphrase
	}
	return store.NewFileWith(store.FileDir(a.cfg.StateDir), o), nil
}

// readPassphraseFile reads a passphrase mounted as a file (a Kubernetes or
// Docker secret, a CI secret file): its first line, without the newline.
func readPassphraseFile(path string, stderr io.Writer) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", tokerr.Wrap(tokerr.StoreUnavailable, errors.Unwrap(err), "cannot read TOK_PASSPHRASE_FILE %s", path)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		warnTo(stderr, "TOK_PASSPHRASE_FILE %s can be read by other users (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
	if err != nil {
		return "", tokerr.Wrap(tokerr.StoreUnavailable, err, "cannot read TOK_PASSPHRASE_FILE %s", path)
	}
	if len(b) > maxPassphraseFile {
		return "", tokerr.New(tokerr.StoreUnavailable, "TOK_PASSPHRASE_FILE %s is larger than %d KiB: is it the right file?", path, maxPassphraseFile>>10)
	}
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return "", tokerr.New(tokerr.StoreUnavailable, "TOK_PASSPHRASE_FILE %s is empty", path)
	}
	return string(b), nil
}

// askPassphrase asks on the terminal, without echo. Ctrl-C ends it with
// the terminal restored.
func askPassphrase(ctx context.Context, confirm bool) (string, error) {
	tty, err := openTTY()
	if err != nil {
		return "", tokerr.Wrap(tokerr.StoreUnavailable, err, "cannot ask for the file store passphrase")
	}
	defer tty.Close()
	question := prompt("passphrase for the file store: ")
	if confirm {
		question = prompt("choose a passphrase for the file store (TOK_PASSPHRASE or TOK_PASSPHRASE_FILE also work): ")
	}
	p, err := readSecret(ctx, tty, question)
	if err != nil || !confirm || p == "" {
		return p, err
	}
	again, err := readSecret(ctx, tty, prompt("the same passphrase again: "))
	if err != nil {
		return "", err
	}
	if again != p {
		return "", tokerr.New(tokerr.StoreUnavailable, "the two passphrases differ: nothing was stored")
	}
	return p, nil
}
