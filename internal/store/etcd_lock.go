package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/tok-cli/tok/internal/etcdproto"
)

// Lock takes the fleet-wide lock of a target (key is PROVIDER:ACCOUNT):
// an etcd mutex whose key lives as long as a lease the helper keeps alive
// while the lock is held. A host that dies holding it blocks the others
// for no longer than the lease (README "A store shared by a fleet"). A
// waiter waits while the lock keeps changing hands, for at most LockWait
// with one holder and LockMaxWait in all, or until ctx ends (README
// "print"). The returned func releases it and revokes the lease.
func (e *Etcd) Lock(ctx context.Context, key string) (func(), error) {
	onWait := func() {
		if e.o.Note != nil {
			e.o.Note("waiting for another tok process refreshing " + key)
		}
	}
	resp, err := e.call(ctx, etcdproto.Request{Op: etcdproto.OpLock, Key: e.o.Prefix + "locks/" + escapeName(key)}, onWait)
	if err != nil {
		if pe, ok := asProtoError(err); ok {
			switch pe.Kind {
			case etcdproto.KindLockWait:
				return nil, fmt.Errorf("gave up after %s waiting for another tok process refreshing %s (etcd lock under %slocks/), which held it all that time", e.o.LockWait, key, e.o.Prefix)
			case etcdproto.KindLockMaxWait:
				return nil, fmt.Errorf("gave up after %s waiting for other tok processes refreshing %s (etcd lock under %slocks/)", e.o.LockMaxWait, key, e.o.Prefix)
			}
		}
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
		// A failed unlock leaves the lock to its lease.
		e.call(context.Background(), etcdproto.Request{Op: etcdproto.OpUnlock, Lock: resp.ID}, nil)
	}, nil
}

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Provider != es[j].Provider {
			return es[i].Provider < es[j].Provider
		}
		return es[i].Account < es[j].Account
	})
}
