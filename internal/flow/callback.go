package flow

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/wire"
)

// outcome ends the wait for the redirect: a code to exchange or an error.
type outcome struct {
	code       string
	err        error
	viaBrowser bool // arrived on the listener, so a browser will follow /done
}

// callback validates redirects to http://127.0.0.1:PORT/callback, whether
// they arrive over HTTP or are pasted on stdin.
type callback struct {
	state, issuer string
	requireIss    bool
	host          string
	target        string                           // shown on the pages: tok's name for the login
	note          func(format string, args ...any) // refused callbacks are noted here

	notesMu sync.Mutex
	notes   int // refused callbacks so far

	once   sync.Once
	result chan outcome // the first redirect that ends the flow

	finishOnce sync.Once
	finished   chan struct{} // closed once the flow knows how it ended
	flowErr    error         // how it ended; read only after finished is closed

	doneOnce sync.Once
	done     chan struct{} // closed when the browser fetched the success page
}

func newCallback(state, issuer string, requireIss bool, host string) *callback {
	return &callback{state: state, issuer: issuer, requireIss: requireIss, host: host, note: func(string, ...any) {},
		result: make(chan outcome, 1), finished: make(chan struct{}), done: make(chan struct{})}
}

// judge checks a redirect's query. A non-nil refusal means "not for us, keep
// waiting"; otherwise the outcome ends the flow.
func (c *callback) judge(q url.Values) (o outcome, refusal error) {
	state := q.Get("state")
	if state == "" {
		return o, errors.New("the redirect carries no state")
	}
	if subtle.ConstantTimeCompare([]byte(state), []byte(c.state)) != 1 {
		return o, errors.New("the redirect's state does not belong to this login")
	}
	// RFC 9207 §2.4: compare iss to the expected issuer by simple string
	// comparison; a mismatch means the response may come from another
	// authorization server (mix-up attack), so the whole login is refused.
	if iss, ok := q["iss"]; ok {
		if c.issuer != "" && (len(iss) != 1 || iss[0] != c.issuer) {
			o.err = fmt.Errorf("the login redirect names issuer %q, not %q: refused as a %w (RFC 9207)",
				wire.Clean(q.Get("iss"), 100), c.issuer, errMixUp)
			return o, nil
		}
	} else if c.requireIss {
		o.err = fmt.Errorf("the login redirect has no iss parameter although the provider promises one: refused as a %w (RFC 9207)", errMixUp)
		return o, nil
	}
	// RFC 6749 §4.1.2.1: the provider's error response.
	if code := q.Get("error"); code != "" {
		o.err = &AuthorizationError{Code: wire.Clean(code, 64), Description: wire.Clean(q.Get("error_description"), maxDescription)}
		return o, nil
	}
	if o.code = q.Get("code"); o.code == "" {
		o.err = errors.New("the login redirect carries neither a code nor an error")
	}
	return o, nil
}

// deliver hands o to the flow; only the first outcome counts.
func (c *callback) deliver(o outcome) (won bool) {
	c.once.Do(func() { c.result <- o; won = true })
	return won
}

func (c *callback) finish(err error) {
	c.finishOnce.Do(func() { c.flowErr = err; close(c.finished) })
}

// waitDone gives the browser a moment to fetch the success page before the
// listener goes away.
func (c *callback) waitDone(ctx context.Context, grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// readPasted accepts redirect URLs pasted on stdin, for a browser on another
// machine that cannot reach the loopback listener.
func (c *callback) readPasted(ctx context.Context, in io.Reader, warn func(format string, args ...any)) {
	sc := bufio.NewScanner(in)
	for sc.Scan() && ctx.Err() == nil {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || u.Scheme != "http" || u.Host != c.host || u.Path != "/callback" {
			warn("that is not the redirect address; paste the whole http://%s/callback?... address from the browser", c.host)
			continue
		}
		o, refusal := c.judge(u.Query())
		if refusal != nil {
			warn("ignoring the pasted address: %v", refusal)
			continue
		}
		if !c.deliver(o) {
			return
		}
	}
}
