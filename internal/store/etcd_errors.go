package store

import (
	"context"
	"errors"
	"strings"

	"github.com/tok-cli/tok/internal/etcdproto"
	"github.com/tok-cli/tok/internal/tokerr"
)

// failed words an error of the helper. The caller's own cancellation
// (Ctrl-C) passes as it is; everything else means the store is
// unavailable (exit 5), never a reason to use another store.
func (e *Etcd) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	pe, ok := asProtoError(err)
	if !ok {
		return tokerr.Wrap(tokerr.StoreUnavailable, err, "%s", e.where())
	}
	where := e.where()
	switch pe.Kind {
	case etcdproto.KindAuth:
		return tokerr.New(tokerr.StoreUnavailable, "%s refused the login", where).
			WithHint("check TOK_ETCD_USERNAME and TOK_ETCD_PASSWORD")
	case etcdproto.KindDenied:
		return tokerr.New(tokerr.StoreUnavailable, "%s denies this user access under %s", where, e.o.Prefix).
			WithHint("grant TOK_ETCD_USERNAME's role readwrite on the prefix (etcdctl role grant-permission --prefix)")
	case etcdproto.KindTLS:
		return tlsError(where, pe.Detail)
	case etcdproto.KindTimeout:
		if why := e.diagnose(); why != nil {
			return why
		}
		return tokerr.New(tokerr.StoreUnavailable, "%s did not answer within %s", where, e.o.Timeout).
			WithHint("check that the endpoints are right and reachable from this host and that most members of the cluster are up (etcdctl endpoint health)")
	case etcdproto.KindLockWait, etcdproto.KindLockMaxWait:
		return err // Lock words it
	}
	return tokerr.Wrap(tokerr.StoreUnavailable, errors.New(pe.Detail), "%s", where)
}

func (e *Etcd) where() string { return "etcd at " + strings.Join(e.o.Endpoints, ", ") }

func asProtoError(err error) (*etcdproto.Error, bool) {
	var pe *etcdproto.Error
	ok := errors.As(err, &pe)
	return pe, ok
}

func tlsError(where, detail string) error {
	return tokerr.New(tokerr.StoreUnavailable, "%s: the TLS handshake failed (%s)", where, detail).
		WithHint("check ca_file, cert_file and key_file in the etcd: block against the cluster's certificates")
}
