package tokfile

import (
	"context"
	"time"

	"github.com/tok-cli/tok/internal/wire"
)

// Token is what a Keeper writes and when it stops being good.
type Token struct {
	Value  string
	Expiry time.Time // zero: does not expire
}

// Keeper keeps one target's token files fresh.
type Keeper struct {
	Dir   *Dir
	Names []string // the files holding this target's token
	// MinTTL is the least lifetime a token in a file should have left.
	MinTTL time.Duration
	// Fetch returns a token with at least minTTL left, refreshing it
	// when needed (token.Manager.Fresh).
	Fetch func(ctx context.Context, minTTL time.Duration) (Token, error)
	// Warn reports a failed refresh or write; the keeper retries.
	Warn func(error)
	Now  func() time.Time
	// After is time.After; tests replace it.
	After func(time.Duration) <-chan time.Time
}

// maxSleep caps one wait: timers run on the monotonic clock, which stops
// while the machine sleeps, so the keeper looks at the wall clock at
// least this often.
const maxSleep = 30 * time.Second

// Write writes tok to every file of the keeper.
func (k *Keeper) Write(tok Token) error {
	for _, name := range k.Names {
		if err := k.Dir.Write(name, []byte(tok.Value)); err != nil {
			return err
		}
	}
	return nil
}

// Run rewrites the files before the token in them, cur, falls under
// MinTTL, until ctx ends.
func (k *Keeper) Run(ctx context.Context, cur Token) {
	if cur.Expiry.IsZero() {
		return
	}
	due := Due(cur.Expiry, k.MinTTL, k.Now())
	failures := 0
	for {
		wait := min(due.Sub(k.Now()), maxSleep)
		select {
		case <-ctx.Done():
			return
		case <-k.After(max(wait, 0)):
		}
		now := k.Now()
		if now.Before(due) {
			continue
		}
		next, err := k.Fetch(ctx, k.MinTTL+margin(k.MinTTL)*2)
		if ctx.Err() != nil {
			return // the child is gone; so is the directory, soon
		}
		if err == nil && next.Value != cur.Value {
			err = k.Write(next)
		}
		if err != nil {
			k.Warn(err)
			failures++
			// A busy provider's Retry-After (capped at a minute) wins
			// over the keeper's own backoff when it is longer.
			due = now.Add(max(backoff(failures), wire.RetryAfterOf(err, now)))
			continue
		}
		failures = 0
		cur = next
		if cur.Expiry.IsZero() {
			return
		}
		due = Due(cur.Expiry, k.MinTTL, now)
	}
}

// Due is when a token expiring at expiry should be replaced: a margin
// before it falls under minTTL. A token that lives less than that (the
// provider's lifetime is shorter than minTTL) is replaced at half its
// remaining life, and never sooner than a second from now.
func Due(expiry time.Time, minTTL time.Duration, now time.Time) time.Time {
	due := expiry.Add(-minTTL - margin(minTTL))
	if due.After(now) {
		return due
	}
	return now.Add(max(expiry.Sub(now)/2, time.Second))
}

// margin leaves time for a slow refresh: a quarter of minTTL, between one
// and thirty seconds.
func margin(minTTL time.Duration) time.Duration {
	return min(max(minTTL/4, time.Second), 30*time.Second)
}

func backoff(failures int) time.Duration {
	return min(time.Second<<min(failures-1, 6), time.Minute)
}
