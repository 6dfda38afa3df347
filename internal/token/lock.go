package token

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// WaitLocker is a Locker that also says whether it had to wait for
// another holder: the Manager then reads what that holder stored without
// the lock (Manager.Fresh).
type WaitLocker interface {
	LockWaited(ctx context.Context, key string) (unlock func(), waited bool, err error)
}

// FileLocker hands out one cross-process lock per target. The locks are
// flock(2)/LockFileEx locks on files in the state dir: the kernel drops
// them when their process dies, so a crashed tok never blocks anyone.
type FileLocker struct {
	Dir string
	// Wait bounds how long Lock waits while one other process keeps the
	// lock (DefaultLockWait when zero). Each holder marks the lock file
	// when it takes the lock, so a waiter behind a queue of tok
	// processes that each take their turn waits on (README "print").
	Wait time.Duration
	// MaxWait bounds the whole wait, however often the lock changes
	// hands (DefaultLockMaxWait when zero).
	MaxWait time.Duration
	// Note, when set, is told in one line (without "tok: ") that Lock has
	// to wait.
	Note func(msg string)
}

const (
	// DefaultLockWait is longer than one holder's legitimate turn: a
	// discovery, a refresh and a token exchange, each bounded by the 30s
	// HTTP timeout, and the store's writes.
	DefaultLockWait = 2 * time.Minute
	// DefaultLockMaxWait ends a wait that the lock's changing hands would
	// otherwise prolong without end.
	DefaultLockMaxWait = 10 * time.Minute
	lockPoll           = 25 * time.Millisecond
)

// Lock takes the lock for key, waiting while another process holds it:
// as long as the lock keeps changing hands, for at most l.Wait with one
// holder and l.MaxWait in all, or until ctx ends. The returned func
// releases it.
func (l *FileLocker) Lock(ctx context.Context, key string) (func(), error) {
	unlock, _, err := l.LockWaited(ctx, key)
	return unlock, err
}

// LockWaited is Lock, and says whether it had to wait.
func (l *FileLocker) LockWaited(ctx context.Context, key string) (func(), bool, error) {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("cannot create lock directory: %w", err)
	}
	sum := sha256.Sum256([]byte(key))
	fl := flock.New(filepath.Join(l.Dir, hex.EncodeToString(sum[:12])+".lock"))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, false, fmt.Errorf("cannot lock %s: %w", key, err)
	}
	if !ok {
		if l.Note != nil {
			l.Note("waiting for another tok process refreshing " + key)
		}
		if err := l.wait(ctx, fl, key); err != nil {
			return nil, true, err
		}
	}
	markTaken(fl.Path())
	return func() { fl.Unlock() }, !ok, nil
}

// wait polls for the lock. A new mark on the lock file is a new holder:
// the one before finished its turn, so the bound of one holder starts
// again.
func (l *FileLocker) wait(ctx context.Context, fl *flock.Flock, key string) error {
	stall, limit := cmp.Or(l.Wait, DefaultLockWait), cmp.Or(l.MaxWait, DefaultLockMaxWait)
	start := time.Now()
	since, holder := start, takenAt(fl.Path())
	tick := time.NewTicker(lockPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		ok, err := fl.TryLock()
		if err != nil {
			return fmt.Errorf("cannot lock %s: %w", key, err)
		}
		if ok {
			return nil
		}
		now := time.Now()
		if h := takenAt(fl.Path()); !h.Equal(holder) {
			since, holder = now, h
		}
		switch {
		case now.Sub(since) >= stall:
			return fmt.Errorf("gave up after %s waiting for another tok process refreshing %s (lock %s), which held it all that time", stall, key, fl.Path())
		case now.Sub(start) >= limit:
			return fmt.Errorf("gave up after %s waiting for other tok processes refreshing %s (lock %s)", limit, key, fl.Path())
		}
	}
}

// markTaken tells waiters that the lock at path changed hands: its
// modification time is when it was last taken. A file system that cannot
// set it leaves waiters with the bound of one holder.
func markTaken(path string) {
	now := time.Now()
	os.Chtimes(path, now, now)
}

func takenAt(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
