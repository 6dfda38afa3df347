// Package etcdkv is tok-etcd's side of the fleet's store: the requests of
// package etcdproto carried out with the official etcd client,
// go.etcd.io/etcd/client/v3, and its concurrency package for the
// lease-backed lock. Only the helper links it (see etcdproto).
package etcdkv

import (
	"context"
	"io"
	"os"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/grpclog"

	"github.com/tok-cli/tok/internal/etcdproto"
	"github.com/tok-cli/tok/internal/store"
)

// Cluster is a connected client.
type Cluster struct {
	c   etcdproto.Config
	cli *clientv3.Client
}

// Open connects to the cluster c names. The TLS files were checked by tok
// before it started the helper; the username and password come from the
// environment.
func Open(c etcdproto.Config) (etcdproto.Cluster, error) {
	// gRPC's own logging stays off stderr: tok prints one error line.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))
	conf, err := store.EtcdTLS(c.CAFile, c.CertFile, c.KeyFile)
	if err != nil {
		return nil, &etcdproto.Error{Kind: etcdproto.KindTLS, Detail: err.Error()}
	}
	k := &Cluster{c: c}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   c.Endpoints,
		TLS:         conf,
		Username:    os.Getenv("TOK_ETCD_USERNAME"),
		Password:    os.Getenv("TOK_ETCD_PASSWORD"),
		DialTimeout: c.Timeout,
		Logger:      zap.NewNop(),
		// Without these a request to a dead member waits for its
		// reconnect instead of trying the next member.
		DialKeepAliveTime:    c.Timeout,
		DialKeepAliveTimeout: c.Timeout,
	})
	if err != nil {
		return nil, classify(err, true)
	}
	k.cli = cli
	return k, nil
}

func (k *Cluster) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, k.c.Timeout)
}

// Get returns key's value and mod revision, or nothing.
func (k *Cluster) Get(ctx context.Context, key string) ([]etcdproto.KV, error) {
	bctx, cancel := k.bounded(ctx)
	defer cancel()
	resp, err := k.cli.Get(bctx, key)
	if err != nil {
		return nil, failed(bctx, err)
	}
	return kvs(resp.Kvs), nil
}

// List returns up to limit keys under prefix (0: all), sorted by key.
func (k *Cluster) List(ctx context.Context, prefix string, limit int64) ([]etcdproto.KV, error) {
	bctx, cancel := k.bounded(ctx)
	defer cancel()
	resp, err := k.cli.Get(bctx, prefix, clientv3.WithPrefix(), clientv3.WithLimit(limit),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, failed(bctx, err)
	}
	return kvs(resp.Kvs), nil
}

// Txn puts and deletes in one transaction when every condition holds.
func (k *Cluster) Txn(ctx context.Context, r etcdproto.Request) (bool, int64, error) {
	var conds []clientv3.Cmp
	for _, c := range r.If {
		conds = append(conds, clientv3.Compare(clientv3.ModRevision(c.Key), "=", c.ModRev))
	}
	var ops []clientv3.Op
	for _, kv := range r.Put {
		ops = append(ops, clientv3.OpPut(kv.Key, string(kv.Value)))
	}
	for _, key := range r.Delete {
		ops = append(ops, clientv3.OpDelete(key))
	}
	bctx, cancel := k.bounded(ctx)
	defer cancel()
	resp, err := k.cli.Txn(bctx).If(conds...).Then(ops...).Commit()
	if err != nil {
		return false, 0, failed(bctx, err)
	}
	return resp.Succeeded, resp.Header.Revision, nil
}

func kvs(in []*mvccpb.KeyValue) []etcdproto.KV {
	var out []etcdproto.KV
	for _, kv := range in {
		out = append(out, etcdproto.KV{Key: string(kv.Key), Value: kv.Value, ModRev: kv.ModRevision})
	}
	return out
}
