package cli

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The command exits while `exec --token-files` or `exec --serve` is in
// the middle of a refresh that the provider has already made (it rotated
// the refresh token, and holds its answer): tok finishes the refresh and
// stores the new pair before it goes (README "print"), so the login
// still refreshes afterwards.
func TestChildExitDuringRefreshKeepsTheLogin(t *testing.T) {
	t.Parallel()
	const minTTL = time.Minute
	for _, tc := range []struct {
		name  string
		start func(t *testing.T, o *opTok, a *App, ets []*execTarget) (close func())
	}{
		{"token files", func(t *testing.T, o *opTok, a *App, ets []*execTarget) func() {
			tf, err := a.startTokenFiles(t.Context(), ets, minTTL)
			if err != nil {
				t.Fatal(err)
			}
			// The keeper's refresh falls due 15s before min-ttl.
			due := ets[0].Rec.Expiry.Add(-minTTL - 15*time.Second)
			o.clock.RunTo(t, due.Add(-time.Second))
			o.clock.fireNext(t)
			return tf.Close
		}},
		{"serve", func(t *testing.T, o *opTok, a *App, ets []*execTarget) func() {
			srv, err := a.startServe(t.Context(), ets, minTTL)
			if err != nil {
				t.Fatal(err)
			}
			o.clock.Set(ets[0].Rec.Expiry.Add(-minTTL))
			go func() {
				req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/token/dex", nil)
				req.Header.Set("Authorization", "Bearer "+srv.Secret())
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			return srv.Close
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOpTok(t)
			o.login()
			a, ets := o.execStart(minTTL, "dex")
			o.op.SetTokenResponseDelay(time.Hour) // until ReleaseHeld
			defer o.op.ReleaseHeld()
			closeAll := tc.start(t, o, a, ets)
			waitFor(t, "the provider to hold a refresh", func() bool { return o.op.Held() > 0 })
			// The command exits: what served it stops.
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				closeAll()
			}()
			waitFor(t, "tok to say it finishes the refresh", func() bool {
				return strings.Contains(o.stderr.String(), "finishing the refresh of dex under way")
			})
			o.op.SetTokenResponseDelay(0)
			o.op.ReleaseHeld()
			<-closed
			o.run("refresh", "dex")
			if n := o.refreshes(); n != 2 {
				t.Errorf("%d refresh requests, want 2 (the interrupted one, tok refresh)", n)
			}
		})
	}
}

// waitFor polls cond; the bound is a hang guard, not a timed assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
	}
}

// fireNext moves the clock to the earliest timer and fires it, without
// waiting for the sleeper to arm another (it may be stuck in a request).
func (c *fakeClock) fireNext(t *testing.T) {
	t.Helper()
	next, ok := c.nextTimer(t)
	if !ok {
		t.Fatal("no timer armed")
	}
	c.mu.Lock()
	c.now = next.at
	c.timers = slices.DeleteFunc(c.timers, func(x fakeTimer) bool { return x.ch == next.ch })
	c.mu.Unlock()
	next.ch <- next.at
}
