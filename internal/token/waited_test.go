package token

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
)

// waitingLocker is a WaitLocker whose every lock was held by another
// process first: meanwhile, (the other process) runs.
type waitingLocker struct {
	heldLocker
	meanwhile func()
}

func (l *waitingLocker) Lock(ctx context.Context, key string) (func(), error) {
	if l.meanwhile != nil {
		l.meanwhile()
		l.meanwhile = nil
	}
	return l.heldLocker.Lock(ctx, key)
}

func (l *waitingLocker) LockWaited(ctx context.Context, key string) (func(), bool, error) {
	unlock, err := l.Lock(ctx, key)
	return unlock, true, err
}

// readCounter counts the records read while the lock is held.
type readCounter struct {
	Store
	lock   *heldLocker
	locked atomic.Int32
}

func (s *readCounter) Load(ctx context.Context, p, a string) (*store.Record, error) {
	if s.lock.held.Load() {
		s.locked.Add(1)
	}
	return s.Store.Load(ctx, p, a)
}

// A waiter that finds the token another process refreshed while it waited
// opens it without the lock: with a passphrase every open is an scrypt,
// and waiters do theirs side by side, not in turn under the lock.
func TestWaiterReadsWithoutTheLock(t *testing.T) {
	srv, calls := tokenServer(t, func(map[string]string) (int, map[string]any) {
		return 200, map[string]any{"access_token": "at3", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt3"}
	})
	f := newFixture(t, srv.URL)
	f.save(t, "at1", "rt1", 30*time.Second)
	l := &waitingLocker{meanwhile: func() { f.save(t, "at2", "rt2", time.Hour) }}
	rc := &readCounter{Store: f.st, lock: &l.heldLocker}
	f.m.Locks, f.m.Store = l, rc
	rec, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if err != nil || rec.AccessToken != "at2" {
		t.Fatalf("rec=%+v err=%v", rec, err)
	}
	if n := rc.locked.Load(); n != 0 || calls.Load() != 0 || l.taken.Load() != 1 {
		t.Errorf("%d reads under the lock, %d token requests, lock taken %d times; want 0, 0, 1", n, calls.Load(), l.taken.Load())
	}

	// The other process did not refresh: the waiter takes the lock
	// again and refreshes, reading under it.
	l.meanwhile = nil
	f.save(t, "at2", "rt2", 30*time.Second)
	rec, err = f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if err != nil || rec.AccessToken != "at3" || calls.Load() != 1 || l.taken.Load() != 3 {
		t.Fatalf("stale after the wait: rec=%+v err=%v, %d token requests, lock taken %d times", rec, err, calls.Load(), l.taken.Load())
	}
}

// Both of tok's lockers say when they waited.
var (
	_ WaitLocker = (*FileLocker)(nil)
	_ WaitLocker = (*store.Etcd)(nil)
)
