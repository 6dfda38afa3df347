package etcdkv

import (
	"context"
	"errors"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/tok-cli/tok/internal/etcdproto"
)

// Lock takes the lock named key: a concurrency.Mutex whose key lives as
// long as a lease the helper keeps alive while the lock is held. A host
// that dies holding it blocks the others no longer than the lease. The
// returned func releases the lock and revokes the lease.
func (k *Cluster) Lock(ctx context.Context, key string, onWait func()) (func(), error) {
	bctx, cancel := k.bounded(ctx)
	lease, err := k.cli.Grant(bctx, int64((k.c.Lease+time.Second-1)/time.Second))
	if err != nil {
		defer cancel()
		return nil, failed(bctx, err)
	}
	cancel()
	// The session keeps the lease alive until unlock: it must outlive
	// the bounded context of the grant.
	sess, err := concurrency.NewSession(k.cli, concurrency.WithLease(lease.ID), concurrency.WithContext(ctx))
	if err != nil {
		k.revoke(lease.ID)
		return nil, classify(err, false)
	}
	mu := concurrency.NewMutex(sess, key)
	if err := k.acquire(ctx, mu, onWait); err != nil {
		sess.Orphan()
		k.revoke(lease.ID)
		return nil, err
	}
	return func() {
		sess.Orphan()
		// Revoking the lease deletes the mutex key with it.
		k.revoke(lease.ID)
	}, nil
}

// acquire tries the lock once, then says it waits and waits at most
// LockWait.
func (k *Cluster) acquire(ctx context.Context, mu *concurrency.Mutex, onWait func()) error {
	bctx, cancel := k.bounded(ctx)
	err := mu.TryLock(bctx)
	if err == nil {
		cancel()
		return nil
	}
	if !errors.Is(err, concurrency.ErrLocked) {
		defer cancel()
		return failed(bctx, err)
	}
	cancel()
	onWait()
	wctx, cancel := context.WithTimeout(ctx, k.c.LockWait)
	defer cancel()
	if err := mu.Lock(wctx); err != nil {
		if errors.Is(wctx.Err(), context.DeadlineExceeded) {
			return &etcdproto.Error{Kind: etcdproto.KindLockWait}
		}
		return classify(err, false)
	}
	return nil
}

func (k *Cluster) revoke(id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), k.c.Timeout)
	defer cancel()
	// A failed revoke leaves the lease to expire by itself.
	_, _ = k.cli.Revoke(ctx, id)
}
