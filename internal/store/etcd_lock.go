package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Lock takes the fleet-wide lock of a target (key is PROVIDER:ACCOUNT):
// an etcd mutex whose key lives as long as a lease this process keeps
// alive while it holds the lock. A host that dies holding it blocks the
// others for no longer than the lease (README "A store shared by a
// fleet"). The returned func releases it and revokes the lease.
func (e *Etcd) Lock(ctx context.Context, key string) (func(), error) {
	bctx, cancel := e.bounded(ctx)
	lease, err := e.cli.Grant(bctx, int64((e.o.Lease+time.Second-1)/time.Second))
	cancel()
	if err != nil {
		return nil, e.failed(ctx, bctx, err)
	}
	// The session keeps the lease alive until unlock; it must outlive
	// the bounded context of the grant.
	sess, err := concurrency.NewSession(e.cli, concurrency.WithLease(lease.ID), concurrency.WithContext(ctx))
	if err != nil {
		e.revoke(lease.ID)
		return nil, e.failed(ctx, ctx, err)
	}
	mu := concurrency.NewMutex(sess, e.o.Prefix+"locks/"+escapeName(key))
	if err := e.acquire(ctx, mu, key); err != nil {
		sess.Orphan()
		e.revoke(lease.ID)
		return nil, err
	}
	record := "token:" + key // TokenKey of the target PROVIDER:ACCOUNT
	e.mu.Lock()
	e.locked[record] = -1
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		delete(e.locked, record)
		e.mu.Unlock()
		sess.Orphan()
		// Revoking the lease deletes the mutex key with it.
		e.revoke(lease.ID)
	}, nil
}

// acquire tries the lock once, then says it waits and waits at most
// LockWait.
func (e *Etcd) acquire(ctx context.Context, mu *concurrency.Mutex, key string) error {
	bctx, cancel := e.bounded(ctx)
	err := mu.TryLock(bctx)
	cancel()
	if err == nil {
		return nil
	}
	if !errors.Is(err, concurrency.ErrLocked) {
		return e.failed(ctx, bctx, err)
	}
	if e.o.Note != nil {
		e.o.Note("waiting for another tok process refreshing " + key)
	}
	wctx, cancel := context.WithTimeout(ctx, e.o.LockWait)
	defer cancel()
	err = mu.Lock(wctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case wctx.Err() != nil:
		return fmt.Errorf("gave up after %s waiting for another tok process refreshing %s (etcd lock under %slocks/)", e.o.LockWait, key, e.o.Prefix)
	}
	return e.failed(ctx, wctx, err)
}

func (e *Etcd) revoke(id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), e.o.Timeout)
	defer cancel()
	// A failed revoke leaves the lease to expire by itself.
	_, _ = e.cli.Revoke(ctx, id)
}

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Provider != es[j].Provider {
			return es[i].Provider < es[j].Provider
		}
		return es[i].Account < es[j].Account
	})
}
