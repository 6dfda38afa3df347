package token

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Locker hands out one lock per target (key PROVIDER:ACCOUNT), held
// across read, refresh and write so that any number of processes send at
// most one refresh request. Lock waits for the lock until ctx ends or the
// implementation gives up, and returns the func that releases it.
// FileLocker is the one for a state dir; a fleet store brings its own.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// FileLocker hands out one cross-process lock per target. The locks are
// flock(2)/LockFileEx locks on files in the state dir: the kernel drops
// them when their process dies, so a crashed tok never blocks anyone.
type FileLocker struct {
	Dir string
	// Wait bounds how long Lock waits for another process.
	Wait time.Duration
	// Note, when set, is told in one line (without "tok: ") that Lock has
	// to wait.
	Note func(msg string)
}

// Lock takes the lock for key, waiting at most l.Wait. The returned func
// releases it.
func (l *FileLocker) Lock(ctx context.Context, key string) (func(), error) {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create lock directory: %w", err)
	}
	sum := sha256.Sum256([]byte(key))
	fl := flock.New(filepath.Join(l.Dir, hex.EncodeToString(sum[:12])+".lock"))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", key, err)
	}
	if !ok {
		if l.Note != nil {
			l.Note("waiting for another tok process refreshing " + key)
		}
		wait := l.Wait
		if wait <= 0 {
			wait = 30 * time.Second
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		ok, err = fl.TryLockContext(wctx, 25*time.Millisecond)
		if !ok || err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) || err == nil {
				return nil, fmt.Errorf("gave up after %s waiting for another tok process refreshing %s (lock %s)", wait, key, fl.Path())
			}
			return nil, fmt.Errorf("cannot lock %s: %w", key, err)
		}
	}
	return func() { fl.Unlock() }, nil
}
