package store

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/etcdproto"
)

// Etcd is the store of a fleet (README "A store shared by a fleet"): the
// records of every login, sealed on this host, and the index of logins in
// clear, both under one prefix of an etcd cluster; and a per-target
// refresh lock held by an etcd lease (Lock). It is a Backend whose Store
// keeps the index in etcd too, in the same transaction as the record.
//
// Keys under Prefix: records/NAME (age ciphertext), logins/NAME (an Entry
// as JSON, no secret), locks/NAME/LEASE (empty, held by a lease).
//
// The etcd client runs in the tok-etcd helper (package etcdproto), started
// on first use, so that no other command pays for loading it.
type Etcd struct {
	o   EtcdOptions
	tls *tls.Config // for diagnose

	mu     sync.Mutex
	helper *etcdproto.Client
	// locked holds the record keys whose target lock this process holds,
	// with the mod revision each had when read under the lock (0: absent),
	// or -1 before any read: Set then writes only over that revision.
	locked map[string]int64
}

// EtcdOptions configure an Etcd store.
type EtcdOptions struct {
	// Endpoints are the members' client URLs (https://10.0.0.1:2379).
	Endpoints []string
	// Prefix starts every key tok writes; it ends with "/".
	Prefix string
	// CAFile, CertFile and KeyFile are the client's TLS files (EtcdTLS).
	CAFile, CertFile, KeyFile string
	// Username and Password for etcd's own authentication; empty: none.
	Username, Password string
	// Seal encrypts records before they leave the host; nil: every
	// read or write of a record fails, naming what to set.
	Seal Sealer
	// Timeout bounds each request to the cluster; 0 means 5s. A cluster
	// without quorum answers no linearizable request, so this is how long
	// tok takes to say so.
	Timeout time.Duration
	// Lease is the lock lease: how long a host that died holding a lock
	// blocks the others. 0 means 15s; etcd rounds below its minimum up.
	Lease time.Duration
	// LockWait bounds the wait for the lock while one other holder keeps
	// it; 0 means 2m (etcdproto.DefaultLockWait). The bound starts again
	// whenever the lock changes hands, so a waiter behind a queue of
	// holders that each take their turn waits on.
	LockWait time.Duration
	// LockMaxWait bounds the whole wait, however often the lock changes
	// hands; 0 means 10m (etcdproto.DefaultLockMaxWait).
	LockMaxWait time.Duration
	// Note, when set, is told in one line (without "tok: ") that a lock
	// has to be waited for.
	Note func(msg string)
	// Helper is the tok-etcd program; "" finds it (HelperPath).
	Helper string
	// Environ is the helper's environment, without the username and
	// password, which are added.
	Environ []string
}

// DefaultEtcdTimeout and DefaultEtcdLease are the defaults of EtcdOptions.
const (
	DefaultEtcdTimeout = 5 * time.Second
	DefaultEtcdLease   = 15 * time.Second
)

// NewEtcd returns the store on the cluster o names. It checks the TLS
// files (errors name the file) but does not contact the cluster.
func NewEtcd(o EtcdOptions) (*Etcd, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultEtcdTimeout
	}
	if o.Lease <= 0 {
		o.Lease = etcdLease()
	}
	if o.LockWait <= 0 {
		o.LockWait = etcdproto.DefaultLockWait
	}
	if o.LockMaxWait <= 0 {
		o.LockMaxWait = etcdproto.DefaultLockMaxWait
	}
	conf, err := EtcdTLS(o.CAFile, o.CertFile, o.KeyFile)
	if err != nil {
		return nil, err
	}
	return &Etcd{o: o, tls: conf, locked: map[string]int64{}}, nil
}

// Close ends the helper, if one was started.
func (e *Etcd) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.helper == nil {
		return nil
	}
	return e.helper.Close()
}

func (e *Etcd) Name() string { return "etcd" }

func (e *Etcd) recordKey(key string) string { return e.o.Prefix + "records/" + escapeName(key) }

func (e *Etcd) entryKey(provider, account string) string {
	return e.o.Prefix + "logins/" + strings.TrimSuffix(entryFile(provider, account), ".json")
}

// Get returns the opened record under key, or ErrNotFound.
func (e *Etcd) Get(ctx context.Context, key string) ([]byte, error) {
	resp, err := e.call(ctx, etcdproto.Request{Op: etcdproto.OpGet, Key: e.recordKey(key)}, nil)
	if err != nil {
		return nil, err
	}
	if len(resp.KVs) == 0 {
		e.noteRead(key, 0)
		return nil, ErrNotFound
	}
	kv := resp.KVs[0]
	e.noteRead(key, kv.ModRev)
	return e.open(key, kv.Value)
}

func (e *Etcd) noteRead(key string, rev int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.locked[key]; ok {
		e.locked[key] = rev
	}
}

// Set seals value and stores it under key.
func (e *Etcd) Set(ctx context.Context, key string, value []byte) error {
	return e.put(ctx, key, value, nil)
}

// SetWithEntry stores a login's record and its index entry in one
// transaction.
func (e *Etcd) SetWithEntry(ctx context.Context, key string, value []byte, entry Entry) error {
	return e.put(ctx, key, value, &entry)
}

// put writes the sealed value, and the entry when given. Under the
// target's lock, after a read, the write is a compare-and-swap on the
// record's mod revision: a process whose lease ran out while it refreshed
// (a long pause, a partition) finds the record changed by the process
// that took the lock over, and can never write an older pair over it.
func (e *Etcd) put(ctx context.Context, key string, value []byte, entry *Entry) error {
	sealed, err := e.seal(value)
	if err != nil {
		return err
	}
	r := etcdproto.Request{Op: etcdproto.OpTxn, Put: []etcdproto.KV{{Key: e.recordKey(key), Value: sealed}}}
	if entry != nil {
		b, err := json.Marshal(entry)
		if err != nil {
			return err
		}
		r.Put = append(r.Put, etcdproto.KV{Key: e.entryKey(entry.Provider, entry.Account), Value: b})
	}
	rev, read := e.readRevision(key)
	if read {
		r.If = []etcdproto.Cond{{Key: e.recordKey(key), ModRev: rev}}
	}
	resp, err := e.call(ctx, r, nil)
	if err != nil {
		return err
	}
	if !resp.OK {
		return fmt.Errorf("%s: %w", key, ErrChanged)
	}
	if read {
		e.noteRead(key, resp.Rev)
	}
	return nil
}

// readRevision is the revision key had when read under its lock.
func (e *Etcd) readRevision(key string) (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rev, ok := e.locked[key]
	return rev, ok && rev >= 0
}

// ErrChanged is returned by a write that lost a compare-and-swap: another
// process stored a newer value since this one read it.
var ErrChanged = errors.New("the stored login changed while this process refreshed it")

// Delete removes key. Absent is not an error.
func (e *Etcd) Delete(ctx context.Context, key string) error {
	return e.del(ctx, key, "", "")
}

// DeleteWithEntry removes a login's record and index entry in one
// transaction.
func (e *Etcd) DeleteWithEntry(ctx context.Context, key, provider, account string) error {
	return e.del(ctx, key, provider, account)
}

func (e *Etcd) del(ctx context.Context, key, provider, account string) error {
	r := etcdproto.Request{Op: etcdproto.OpTxn, Delete: []string{e.recordKey(key)}}
	if provider != "" {
		r.Delete = append(r.Delete, e.entryKey(provider, account))
	}
	_, err := e.call(ctx, r, nil)
	return err
}

// Entries returns the fleet's index of logins, sorted by provider then
// account. Entries that do not parse are skipped, as in Index.List.
func (e *Etcd) Entries(ctx context.Context) ([]Entry, error) {
	resp, err := e.call(ctx, etcdproto.Request{Op: etcdproto.OpList, Key: e.o.Prefix + "logins/"}, nil)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, kv := range resp.KVs {
		var en Entry
		if json.Unmarshal(kv.Value, &en) == nil && en.Provider != "" {
			out = append(out, en)
		}
	}
	sortEntries(out)
	return out, nil
}

// CheckWritable tells before a login whether a Set will succeed: the
// cluster answers, this host has a key, and the key opens the records
// already there (a fleet never ends up split between two keys).
func (e *Etcd) CheckWritable(ctx context.Context) error {
	if _, err := e.seal([]byte("{}")); err != nil {
		return err
	}
	resp, err := e.call(ctx, etcdproto.Request{Op: etcdproto.OpList, Key: e.o.Prefix + "records/", Limit: 1}, nil)
	if err != nil {
		return err
	}
	for _, kv := range resp.KVs {
		if _, err := e.open(kv.Key, kv.Value); err != nil && !errors.Is(err, ErrCorrupt) {
			return err
		}
	}
	return nil
}
