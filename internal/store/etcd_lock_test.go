package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testing/testetcd"
)

// queued has a store for each of opts wait for the lock on key, each
// queued once the one before says it waits; each holds it for hold once
// it has it. It returns their results.
func queued(t *testing.T, c *testetcd.Cluster, helper string, key string, opts []store.EtcdOptions, hold time.Duration) []chan error {
	t.Helper()
	var done []chan error
	for _, o := range opts {
		notices := make(chan string, 4)
		o.Note = func(s string) { notices <- s }
		o.Helper = helper
		e := newEtcd(t, c, o)
		got := make(chan error, 1)
		go func() {
			u, err := e.Lock(context.Background(), key)
			if err == nil {
				time.Sleep(hold)
				u()
			}
			got <- err
		}()
		select {
		case <-notices:
		case err := <-got:
			t.Fatalf("lock %d taken while another is held: %v", len(done), err)
		}
		done = append(done, got)
	}
	return done
}

// A waiter behind a queue of holders that each take their turn waits as
// long as the lock keeps changing hands: 10 turns of 300ms against a
// bound of 2s for one holder.
func TestEtcdLockWaitFollowsTheQueue(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	helper := helperBin(t)
	first := newEtcd(t, c, store.EtcdOptions{Helper: helper})
	unlock, err := first.Lock(context.Background(), "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	opts := make([]store.EtcdOptions, 11)
	for i := range opts {
		opts[i].LockWait = 2 * time.Second
	}
	done := queued(t, c, helper, "dex:default", opts, 300*time.Millisecond)
	unlock()
	for i, got := range done {
		if err := <-got; err != nil {
			t.Fatalf("waiter %d: %v", i, err)
		}
	}
}

// One holder that keeps the lock makes a waiter give up after LockWait,
// saying so; a queue that keeps changing hands, after LockMaxWait.
func TestEtcdLockWaitIsBounded(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	helper := helperBin(t)
	first := newEtcd(t, c, store.EtcdOptions{Helper: helper})
	unlock, err := first.Lock(context.Background(), "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	done := queued(t, c, helper, "dex:default", []store.EtcdOptions{{LockWait: time.Second}}, 0)
	err = <-done[0]
	if err == nil || err.Error() != "gave up after 1s waiting for another tok process refreshing dex:default (etcd lock under /tok/locks/), which held it all that time" {
		t.Fatalf("one holder: %v", err)
	}

	other := newEtcd(t, c, store.EtcdOptions{Helper: helper})
	unlockOther, err := other.Lock(context.Background(), "dex:other")
	if err != nil {
		t.Fatal(err)
	}
	opts := make([]store.EtcdOptions, 8)
	opts[7] = store.EtcdOptions{LockWait: time.Hour, LockMaxWait: time.Second}
	done = queued(t, c, helper, "dex:other", opts, 300*time.Millisecond)
	unlockOther()
	for i, got := range done[:7] {
		if err := <-got; err != nil {
			t.Fatalf("waiter %d: %v", i, err)
		}
	}
	err = <-done[7]
	if err == nil || err.Error() != "gave up after 1s waiting for other tok processes refreshing dex:other (etcd lock under /tok/locks/)" {
		t.Fatalf("a long queue: %v", err)
	}
}

// A waiter whose context ends (Ctrl-C, --timeout) stops at once, and
// its helper, which goes on running, neither waits on nor takes the
// lock: the next process gets it as soon as the holder lets go.
func TestEtcdLockWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	helper := helperBin(t)
	first := newEtcd(t, c, store.EtcdOptions{Helper: helper})
	unlock, err := first.Lock(context.Background(), "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	notices := make(chan string, 4)
	second := newEtcd(t, c, store.EtcdOptions{Helper: helper, Note: func(s string) { notices <- s }})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := second.Lock(ctx, "dex:default")
		got <- err
	}()
	<-notices
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	unlock()
	third := newEtcd(t, c, store.EtcdOptions{Helper: helper, LockWait: 20 * time.Second})
	u, err := third.Lock(context.Background(), "dex:default")
	if err != nil {
		t.Fatalf("the lock after a cancelled wait: %v", err)
	}
	u()
}
