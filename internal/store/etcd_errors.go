package store

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tok-cli/tok/internal/tokerr"
)

// failed words an error of a request to the cluster made with bounded, a
// context bounded by the store's timeout. The caller's own cancellation
// (Ctrl-C) passes as it is; everything else means the store is
// unavailable (exit 5), never a reason to use another store.
func (e *Etcd) failed(ctx, bounded context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(bounded.Err(), context.DeadlineExceeded) {
		// The bound ran out: whatever form the error took (a member
		// without a leader answers "context deadline exceeded" as
		// gRPC's Unknown), the cluster did not answer in time.
		err = context.DeadlineExceeded
	}
	return e.unavailable(err)
}

func (e *Etcd) unavailable(err error) error {
	where := "etcd at " + strings.Join(e.o.Endpoints, ", ")
	switch {
	case errors.Is(err, rpctypes.ErrAuthFailed), errors.Is(err, rpctypes.ErrUserEmpty), errors.Is(err, rpctypes.ErrInvalidAuthToken):
		return tokerr.New(tokerr.StoreUnavailable, "%s refused the login", where).
			WithHint("check TOK_ETCD_USERNAME and TOK_ETCD_PASSWORD")
	case errors.Is(err, rpctypes.ErrPermissionDenied), errors.Is(err, rpctypes.ErrUserNotFound):
		return tokerr.New(tokerr.StoreUnavailable, "%s denies this user access under %s", where, e.o.Prefix).
			WithHint("grant TOK_ETCD_USERNAME's role readwrite on the prefix (etcdctl role grant-permission --prefix)")
	case tlsFailure(err):
		return tlsError(where, status.Convert(err).Message())
	case timedOut(err):
		if why := e.diagnose(); why != nil {
			return why
		}
		return tokerr.New(tokerr.StoreUnavailable, "%s did not answer within %s", where, e.o.Timeout).
			WithHint("check that the endpoints are right and reachable from this host and that most members of the cluster are up (etcdctl endpoint health)")
	}
	return tokerr.Wrap(tokerr.StoreUnavailable, errors.New(oneLineMsg(err)), "%s", where)
}

func tlsError(where, detail string) error {
	return tokerr.New(tokerr.StoreUnavailable, "%s: the TLS handshake failed (%s)", where, detail).
		WithHint("check ca_file, cert_file and key_file in the etcd: block against the cluster's certificates")
}

func timedOut(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Unavailable:
		return true
	}
	return errors.Is(err, rpctypes.ErrNoLeader) || errors.Is(err, rpctypes.ErrTimeout)
}

// tlsFailure recognises a failed handshake. gRPC reports it as text inside
// an Unavailable status (the x509 error is not kept as a value), so the
// text is all there is to go on.
func tlsFailure(err error) bool {
	msg := status.Convert(err).Message()
	return strings.Contains(msg, "authentication handshake failed") || strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:")
}

func oneLineMsg(err error) string {
	if s, ok := status.FromError(err); ok {
		return s.Message()
	}
	return err.Error()
}
