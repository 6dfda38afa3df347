package etcdkv

import (
	"cmp"
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
	if err := k.acquire(ctx, mu, key, onWait); err != nil {
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

// acquire tries the lock once, then says it waits and waits in the
// mutex's queue (wait).
func (k *Cluster) acquire(ctx context.Context, mu *concurrency.Mutex, key string, onWait func()) error {
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
	return k.wait(ctx, mu, key+"/")
}

// wait waits for the lock while it keeps changing hands: for at most
// LockWait with one holder and LockMaxWait in all, or until ctx ends. The
// holder is the oldest key under pfx (the mutex's queue); when it goes
// (its holder unlocked, or its lease expired with its host), the next
// one holds the lock and the bound of one holder starts again.
func (k *Cluster) wait(ctx context.Context, mu *concurrency.Mutex, pfx string) error {
	stall, limit := cmp.Or(k.c.LockWait, etcdproto.DefaultLockWait), cmp.Or(k.c.LockMaxWait, etcdproto.DefaultLockMaxWait)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	holder, rev := k.holder(lctx, pfx)
	var changes clientv3.WatchChan
	if rev > 0 {
		changes = k.cli.Watch(lctx, pfx, clientv3.WithPrefix(), clientv3.WithFilterPut(), clientv3.WithRev(rev+1))
	}
	got := make(chan error, 1)
	go func() { got <- mu.Lock(lctx) }()
	turn := time.NewTimer(stall)
	defer turn.Stop()
	all := time.NewTimer(limit)
	defer all.Stop()
	for {
		var gaveUp *etcdproto.Error
		select {
		case err := <-got:
			if err != nil {
				return classify(err, false)
			}
			return nil
		case w, ok := <-changes:
			if !ok || w.Err() != nil {
				// Without the watch, the bound of one holder is
				// not restarted.
				changes = nil
				continue
			}
			if h, _ := k.holder(lctx, pfx); h != holder {
				holder = h
				turn.Reset(stall)
			}
			continue
		case <-turn.C:
			gaveUp = &etcdproto.Error{Kind: etcdproto.KindLockWait}
		case <-all.C:
			gaveUp = &etcdproto.Error{Kind: etcdproto.KindLockMaxWait}
		}
		cancel()
		if err := <-got; err == nil {
			return nil // taken as the wait ran out
		}
		return gaveUp
	}
}

// holder is the create revision of the key that holds the lock whose
// queue is under pfx (0: none, or unknown), and the revision it was read
// at.
func (k *Cluster) holder(ctx context.Context, pfx string) (holder, rev int64) {
	bctx, cancel := k.bounded(ctx)
	defer cancel()
	resp, err := k.cli.Get(bctx, pfx, clientv3.WithFirstCreate()...)
	if err != nil {
		return 0, 0
	}
	if len(resp.Kvs) > 0 {
		holder = resp.Kvs[0].CreateRevision
	}
	return holder, resp.Header.Revision
}

func (k *Cluster) revoke(id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), k.c.Timeout)
	defer cancel()
	// A failed revoke leaves the lease to expire by itself.
	_, _ = k.cli.Revoke(ctx, id)
}
