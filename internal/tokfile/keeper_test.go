package tokfile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestDue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		expiry time.Duration // from t0
		minTTL time.Duration
		want   time.Duration // from t0
	}{
		{"an hour, default min-ttl: 60s and a 15s margin", time.Hour, time.Minute, time.Hour - 75*time.Second},
		{"margin capped at 30s", time.Hour, 10 * time.Minute, 50*time.Minute - 30*time.Second},
		{"margin at least 1s", time.Minute, 0, time.Minute - time.Second},
		{"lives less than min-ttl: half its life", 30 * time.Second, time.Minute, 15 * time.Second},
		{"about to expire: not sooner than 1s", 500 * time.Millisecond, time.Minute, time.Second},
		{"expired: 1s", -time.Minute, time.Minute, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Due(t0.Add(tc.expiry), tc.minTTL, t0)
			if got.Sub(t0) != tc.want {
				t.Errorf("Due = t0%+v, want t0%+v", got.Sub(t0), tc.want)
			}
		})
	}
}

// fakeClock advances when the keeper waits on it.
type fakeClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

type fetchCall struct {
	at     time.Time
	minTTL time.Duration
}

func newTestKeeper(t *testing.T, clock *fakeClock) *Keeper {
	d, err := NewDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Remove() })
	return &Keeper{Dir: d, Names: []string{"A_TOKEN", "B_TOKEN"}, MinTTL: time.Minute, Now: clock.Now, After: clock.After,
		Warn: func(err error) { t.Logf("warn: %v", err) }}
}

func TestKeeperRewritesBeforeMinTTL(t *testing.T) {
	clock := &fakeClock{now: t0}
	k := newTestKeeper(t, clock)
	ctx, cancel := context.WithCancel(context.Background())
	var calls []fetchCall
	k.Fetch = func(_ context.Context, minTTL time.Duration) (Token, error) {
		calls = append(calls, fetchCall{clock.now, minTTL})
		if len(calls) == 3 {
			cancel()
		}
		return Token{Value: "tok" + string(rune('0'+len(calls))), Expiry: clock.now.Add(10 * time.Minute)}, nil
	}
	first := Token{Value: "tok0", Expiry: t0.Add(10 * time.Minute)}
	if err := k.Write(first); err != nil {
		t.Fatal(err)
	}
	k.Run(ctx, first)
	if len(calls) != 3 {
		t.Fatalf("%d fetches, want 3", len(calls))
	}
	// min-ttl 60s plus a 15s margin before expiry, asking for a token
	// with min-ttl plus twice the margin so the refresh happens.
	want := t0.Add(10*time.Minute - 75*time.Second)
	for i, c := range calls {
		if !c.at.Equal(want) || c.minTTL != 90*time.Second {
			t.Errorf("fetch %d at t0%+v asking %v, want t0%+v asking 1m30s", i, c.at.Sub(t0), c.minTTL, want.Sub(t0))
		}
		want = want.Add(10*time.Minute - 75*time.Second)
	}
	for _, name := range k.Names {
		if b, _ := os.ReadFile(k.Dir.File(name)); string(b) != "tok2" {
			t.Errorf("%s holds %q, want the second refreshed token", name, b)
		}
	}
	for _, w := range clock.waits {
		if w > maxSleep {
			t.Errorf("waited %v at once: a suspended machine would oversleep", w)
		}
	}
}

func TestKeeperRetriesAndKeepsTheOldToken(t *testing.T) {
	clock := &fakeClock{now: t0}
	k := newTestKeeper(t, clock)
	ctx, cancel := context.WithCancel(context.Background())
	var at []time.Duration
	var warned int
	k.Warn = func(error) { warned++ }
	k.Fetch = func(context.Context, time.Duration) (Token, error) {
		at = append(at, clock.now.Sub(t0))
		if len(at) == 4 {
			cancel()
		}
		return Token{}, errors.New("provider down")
	}
	first := Token{Value: "old", Expiry: t0.Add(2 * time.Minute)}
	k.Write(first)
	k.Run(ctx, first)
	due := 2*time.Minute - 75*time.Second
	want := []time.Duration{due, due + time.Second, due + 3*time.Second, due + 7*time.Second}
	if len(at) != len(want) {
		t.Fatalf("fetches at %v, want %v", at, want)
	}
	for i := range want {
		if at[i] != want[i] {
			t.Errorf("fetches at %v, want %v", at, want)
			break
		}
	}
	if warned != 3 {
		t.Errorf("%d warnings, want 3 (the cancelled fetch says nothing)", warned)
	}
	if b, _ := os.ReadFile(k.Dir.File("A_TOKEN")); string(b) != "old" {
		t.Errorf("file holds %q after failed refreshes, want the old token", b)
	}
}

func TestKeeperStopsForTokensThatDoNotExpire(t *testing.T) {
	clock := &fakeClock{now: t0}
	k := newTestKeeper(t, clock)
	k.Fetch = func(context.Context, time.Duration) (Token, error) { t.Fatal("fetched"); return Token{}, nil }
	k.Run(context.Background(), Token{Value: "forever"})
}

// A busy provider's Retry-After paces the retries (issue 10: every retry
// loop honours it), capped at a minute.
func TestKeeperHonoursRetryAfter(t *testing.T) {
	clock := &fakeClock{now: t0}
	k := newTestKeeper(t, clock)
	ctx, cancel := context.WithCancel(context.Background())
	var at []time.Time
	k.Fetch = func(context.Context, time.Duration) (Token, error) {
		at = append(at, clock.now)
		if len(at) == 3 {
			cancel()
		}
		h := http.Header{"Retry-After": {[]string{"20", "3600"}[min(len(at)-1, 1)]}}
		return Token{}, fmt.Errorf("refreshing: %w", &oauth2.RetrieveError{Response: &http.Response{StatusCode: 429, Header: h}})
	}
	k.Run(ctx, Token{Value: "tok0", Expiry: t0.Add(2 * time.Minute)})
	if len(at) != 3 || at[1].Sub(at[0]) != 20*time.Second || at[2].Sub(at[1]) != time.Minute {
		t.Fatalf("fetches at %v, want 20s then 60s apart", at)
	}
}
