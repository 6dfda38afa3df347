package etcdkv

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tok-cli/tok/internal/etcdproto"
)

// failed classifies the error of a request made with bounded, a context
// bounded by the timeout. When the bound ran out, whatever form the error
// took, the cluster did not answer in time. A member without a leader
// answers the request's deadline with its own context's error as text
// (gRPC Unknown, "context deadline exceeded"), and may do so a moment
// before the client's bound runs out: that text is a timeout too.
func failed(bounded context.Context, err error) error {
	return classify(err, errors.Is(bounded.Err(), context.DeadlineExceeded))
}

func classify(err error, timedOut bool) error {
	msg := status.Convert(err).Message()
	switch {
	case errors.Is(err, rpctypes.ErrAuthFailed), errors.Is(err, rpctypes.ErrUserEmpty), errors.Is(err, rpctypes.ErrInvalidAuthToken):
		return &etcdproto.Error{Kind: etcdproto.KindAuth}
	case errors.Is(err, rpctypes.ErrPermissionDenied), errors.Is(err, rpctypes.ErrUserNotFound):
		return &etcdproto.Error{Kind: etcdproto.KindDenied}
	case tlsFailure(msg):
		return &etcdproto.Error{Kind: etcdproto.KindTLS, Detail: msg}
	case timedOut || errors.Is(err, context.DeadlineExceeded) || msg == context.DeadlineExceeded.Error() || unavailable(err):
		return &etcdproto.Error{Kind: etcdproto.KindTimeout}
	}
	return &etcdproto.Error{Kind: etcdproto.KindOther, Detail: msg}
}

func unavailable(err error) bool {
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Unavailable:
		return true
	}
	return errors.Is(err, rpctypes.ErrNoLeader) || errors.Is(err, rpctypes.ErrTimeout)
}

// tlsFailure recognises a failed handshake. gRPC reports it as text inside
// an Unavailable status (the x509 error is not kept as a value), so the
// text is all there is to go on.
func tlsFailure(msg string) bool {
	return strings.Contains(msg, "authentication handshake failed") || strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:")
}
