package token

import (
	"context"
	"time"

	"github.com/tok-cli/tok/internal/store"
)

// finishBound bounds the part of a refresh that an interruption does not
// stop: the request that spends the refresh token (also bounded by the
// HTTP client's own timeout) and the write of what it brought.
const finishBound = time.Minute

// finish returns the context for a request that carries t's refresh token
// and for storing its answer (README "print": Ctrl-C during a refresh). A
// provider that rotates refresh tokens spends the old one as soon as it
// has the request, so dropping the answer would lose the login: once sent,
// the request and the write run to their end, within finishBound, whatever
// becomes of ctx, and the caller honours ctx afterwards (interrupted).
// Before that, ctx still counts: finish fails when it has already ended.
// The caller holds t's lock, and calls done when the answer is stored.
func (m *Manager) finish(ctx context.Context, t Target) (_ context.Context, done func(), _ error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishBound)
	stop := context.AfterFunc(ctx, func() {
		m.note("finishing the refresh of %s under way before stopping, so that the login is not lost", t)
	})
	return fctx, func() { stop(); cancel() }, nil
}

// interrupted is rec, or ctx's error when ctx ended while rec was got:
// what the provider answered is stored by then, and the caller stops as
// it was asked to (exit 130).
func interrupted(ctx context.Context, rec *store.Record, err error) (*store.Record, error) {
	if err == nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return rec, err
}
