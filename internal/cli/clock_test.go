package cli

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is the clock of the in-process tests (App.Now and App.After):
// it stands still until the test moves it, and a wait started with After
// ends when the clock reaches its end. No test sleeps on the wall clock
// for a token to expire.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	armed  chan struct{} // closed, and replaced, when a timer is added
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, armed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After is time.After on the fake clock.
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	close(c.armed)
	c.armed = make(chan struct{})
	return ch
}

// Set moves the clock to now without firing any timer: for code that
// only reads the clock (the token endpoint).
func (c *fakeClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// RunTo moves the clock to end through each timer that falls due on the
// way, in order. After firing one it waits for the one sleeper (the
// --token-files keeper) to arm its next wait, so everything due by end
// has run when RunTo returns. The wait for the sleeper is bounded in real
// time; that bound is a hang guard, not a timed assertion.
func (c *fakeClock) RunTo(t *testing.T, end time.Time) {
	t.Helper()
	for {
		next, ok := c.nextTimer(t)
		if !ok {
			t.Fatal("the keeper armed no timer: it stopped, or hangs in a request")
		}
		c.mu.Lock()
		if next.at.After(end) {
			c.now = end
			c.mu.Unlock()
			return
		}
		c.now = next.at
		c.timers = slices.DeleteFunc(c.timers, func(x fakeTimer) bool { return x.ch == next.ch })
		c.mu.Unlock()
		next.ch <- next.at
	}
}

// nextTimer is the earliest pending timer, once there is one.
func (c *fakeClock) nextTimer(t *testing.T) (fakeTimer, bool) {
	guard := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		if len(c.timers) > 0 {
			next := slices.MinFunc(c.timers, func(a, b fakeTimer) int { return a.at.Compare(b.at) })
			c.mu.Unlock()
			return next, true
		}
		armed := c.armed
		c.mu.Unlock()
		select {
		case <-armed:
		case <-guard:
			return fakeTimer{}, false
		case <-t.Context().Done():
			return fakeTimer{}, false
		}
	}
}
