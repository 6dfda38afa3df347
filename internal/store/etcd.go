package store

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/grpclog"
)

// Etcd is the store of a fleet (README "A store shared by a fleet"): the
// records of every login, sealed on this host, and the index of logins in
// clear, both under one prefix of an etcd cluster; and a per-target
// refresh lock held by an etcd lease (see EtcdLock). It is a Backend whose
// Store keeps the index in etcd too, in the same transaction as the
// record.
//
// Keys under Prefix: records/NAME (age ciphertext), logins/NAME (an Entry
// as JSON, no secret), locks/NAME/LEASE (empty, held by a lease).
type Etcd struct {
	o   EtcdOptions
	cli *clientv3.Client

	mu sync.Mutex
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
	// TLS, when set, is the client's TLS set-up (see EtcdTLS).
	TLS *tls.Config
	// Username and Password for etcd's own authentication; empty: none.
	Username, Password string
	// Seal encrypts records before they leave the host.
	Seal Sealer
	// Timeout bounds each request to the cluster; 0 means 5s. A cluster
	// without quorum answers no linearizable request, so this is how long
	// tok takes to say so.
	Timeout time.Duration
	// Lease is the lock lease: how long a host that died holding a lock
	// blocks the others. 0 means 15s; etcd rounds below its minimum up.
	Lease time.Duration
	// LockWait bounds the wait for another holder; 0 means 30s.
	LockWait time.Duration
	// Note, when set, is told in one line (without "tok: ") that a lock
	// has to be waited for.
	Note func(msg string)
}

// DefaultEtcdTimeout and DefaultEtcdLease are the defaults of EtcdOptions.
const (
	DefaultEtcdTimeout = 5 * time.Second
	DefaultEtcdLease   = 15 * time.Second
)

// NewEtcd returns the store on the cluster o names. It does not contact
// the cluster, except to authenticate when a username is given.
func NewEtcd(o EtcdOptions) (*Etcd, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultEtcdTimeout
	}
	if o.Lease <= 0 {
		o.Lease = etcdLease()
	}
	if o.LockWait <= 0 {
		o.LockWait = 30 * time.Second
	}
	quietGRPC()
	e := &Etcd{o: o, locked: map[string]int64{}}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   o.Endpoints,
		TLS:         o.TLS,
		Username:    o.Username,
		Password:    o.Password,
		DialTimeout: o.Timeout,
		Logger:      zap.NewNop(),
		// Without this a Get against a dead member waits for its
		// reconnect instead of trying the next member.
		DialKeepAliveTime:    o.Timeout,
		DialKeepAliveTimeout: o.Timeout,
	})
	if err != nil {
		return nil, e.unavailable(err)
	}
	e.cli = cli
	return e, nil
}

var quietOnce sync.Once

// quietGRPC keeps gRPC's own logging off stderr: tok prints one error line
// of its own (README "Exit status").
func quietGRPC() {
	quietOnce.Do(func() { grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard)) })
}

// Close ends the connection to the cluster.
func (e *Etcd) Close() error { return e.cli.Close() }

func (e *Etcd) Name() string { return "etcd" }

func (e *Etcd) recordKey(key string) string { return e.o.Prefix + "records/" + escapeName(key) }

func (e *Etcd) entryKey(provider, account string) string {
	return e.o.Prefix + "logins/" + strings.TrimSuffix(entryFile(provider, account), ".json")
}

func (e *Etcd) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.o.Timeout)
}

// Get returns the opened record under key, or ErrNotFound.
func (e *Etcd) Get(ctx context.Context, key string) ([]byte, error) {
	bctx, cancel := e.bounded(ctx)
	defer cancel()
	resp, err := e.cli.Get(bctx, e.recordKey(key))
	if err != nil {
		return nil, e.failed(ctx, bctx, err)
	}
	if len(resp.Kvs) == 0 {
		e.noteRead(key, 0)
		return nil, ErrNotFound
	}
	kv := resp.Kvs[0]
	e.noteRead(key, kv.ModRevision)
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
	ops := []clientv3.Op{clientv3.OpPut(e.recordKey(key), string(sealed))}
	if entry != nil {
		b, err := json.Marshal(entry)
		if err != nil {
			return err
		}
		ops = append(ops, clientv3.OpPut(e.entryKey(entry.Provider, entry.Account), string(b)))
	}
	var conds []clientv3.Cmp
	rev, read := e.readRevision(key)
	if read {
		conds = append(conds, clientv3.Compare(clientv3.ModRevision(e.recordKey(key)), "=", rev))
	}
	bctx, cancel := e.bounded(ctx)
	defer cancel()
	resp, err := e.cli.Txn(bctx).If(conds...).Then(ops...).Commit()
	if err != nil {
		return e.failed(ctx, bctx, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("%s: %w", key, ErrChanged)
	}
	if read {
		e.noteRead(key, resp.Header.Revision)
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
	ops := []clientv3.Op{clientv3.OpDelete(e.recordKey(key))}
	if provider != "" {
		ops = append(ops, clientv3.OpDelete(e.entryKey(provider, account)))
	}
	bctx, cancel := e.bounded(ctx)
	defer cancel()
	if _, err := e.cli.Txn(bctx).Then(ops...).Commit(); err != nil {
		return e.failed(ctx, bctx, err)
	}
	return nil
}

// Entries returns the fleet's index of logins, sorted by provider then
// account. Entries that do not parse are skipped, as in Index.List.
func (e *Etcd) Entries(ctx context.Context) ([]Entry, error) {
	bctx, cancel := e.bounded(ctx)
	defer cancel()
	resp, err := e.cli.Get(bctx, e.o.Prefix+"logins/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, e.failed(ctx, bctx, err)
	}
	var out []Entry
	for _, kv := range resp.Kvs {
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
	bctx, cancel := e.bounded(ctx)
	defer cancel()
	resp, err := e.cli.Get(bctx, e.o.Prefix+"records/", clientv3.WithPrefix(), clientv3.WithLimit(1))
	if err != nil {
		return e.failed(ctx, bctx, err)
	}
	for _, kv := range resp.Kvs {
		if _, err := e.open(string(kv.Key), kv.Value); err != nil && !errors.Is(err, ErrCorrupt) {
			return err
		}
	}
	return nil
}
