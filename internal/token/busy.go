package token

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/wire"
)

// A refresh that has no valid token to fall back on is sent again while
// the provider answers that it is busy (README "Transient failures never
// withhold a valid token"): at most busyTries requests, waiting the
// answer's Retry-After (RFC 9110 §10.2.3), or busyBackoff without one,
// and busyWaitTotal in all. A Retry-After over busyWaitMax ends the tries
// at once: the error then says when to come back.
const (
	busyTries     = 3
	busyBackoff   = time.Second
	busyWaitMax   = 5 * time.Second
	busyWaitTotal = 10 * time.Second
)

// retryBusy runs request, and again while it fails with a busy answer
// and cur cannot be handed out instead (orStillValid), never for a forced
// refresh. The caller holds t's lock across all the tries, so concurrent
// runs still send one request at a time, and a rotated refresh token is
// stored before anyone else reads it. ctx ending stops the wait.
func (m *Manager) retryBusy(ctx context.Context, t Target, cur *store.Record, force bool, request func() (*store.Record, error)) (*store.Record, error) {
	var waited time.Duration
	for try := 1; ; try++ {
		next, err := request()
		if err == nil || force || try == busyTries || (cur != nil && cur.TTL(m.Now()) > 0) {
			return next, err
		}
		wait, ok := busyWait(err, m.Now())
		if !ok || wait > busyWaitMax || waited+wait > busyWaitTotal {
			return next, err
		}
		if m.Note != nil {
			m.Note(fmt.Sprintf("could not refresh %s (%s); trying again in %s", t, failureReason(err), wait))
		}
		if m.sleep(ctx, wait) != nil {
			return next, err
		}
		waited += wait
	}
}

// busyWait says whether err is the provider answering "busy" (HTTP 429 or
// 5xx, temporarily_unavailable, server_error: wire.Transient) and how long
// it asked tok to wait. Silence is not retried: nothing answered, and
// each try could take the whole HTTP timeout.
func busyWait(err error, now time.Time) (time.Duration, bool) {
	var re *oauth2.RetrieveError
	var be *wire.BusyError
	answered := errors.As(err, &re) || errors.As(err, &be)
	if !answered || !wire.Transient(err) {
		return 0, false
	}
	if re != nil && re.Response != nil {
		if d, ok := wire.RetryAfter(re.Response.Header, now); ok {
			return d, true
		}
	}
	return busyBackoff, true
}

func (m *Manager) sleep(ctx context.Context, d time.Duration) error {
	if m.Sleep != nil {
		return m.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
