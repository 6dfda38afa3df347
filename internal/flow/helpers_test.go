package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/testing/syncbuf"
)

const canary = "CANARY-s3cr3t-7f1e"

// testCode is the authorization code the test browser brings back.
const testCode = "auth-code-5d1e"

// reply is one scripted HTTP answer of the fake provider.
type reply struct {
	status      int
	contentType string
	body        string
	retryAfter  string // Retry-After header, "" for none
}

func jsonReply(status int, body string) reply { return reply{status, "application/json", body, ""} }

const goodToken = `{"access_token":"at-1","token_type":"Bearer","refresh_token":"rt-1","expires_in":3600}`

// provider is a hand-scripted authorization server that records every
// request's form body, in the manner of x/oauth2's own tests.
type provider struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	tokenForms  []url.Values
	tokenAuth   []string // Authorization headers
	deviceForms []url.Values
	deviceAuth  []string // Authorization headers of device authorization requests
	tokenReply  []reply  // consumed in order; the last one repeats
	deviceReply reply
	deviceQueue []reply // answered first, in order, before deviceReply
}

func newProvider(t *testing.T, tokenReplies ...reply) *provider {
	p := &provider{t: t, tokenReply: tokenReplies}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("token request Content-Type = %q", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request form: %v", err)
		}
		p.mu.Lock()
		p.tokenForms = append(p.tokenForms, r.PostForm)
		p.tokenAuth = append(p.tokenAuth, r.Header.Get("Authorization"))
		rep := jsonReply(500, `{"error":"server_error"}`)
		if n := len(p.tokenReply); n > 0 {
			rep = p.tokenReply[0]
			if n > 1 {
				p.tokenReply = p.tokenReply[1:]
			}
		}
		p.mu.Unlock()
		w.Header().Set("Content-Type", rep.contentType)
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, echo(rep.body, r))
	})
	mux.HandleFunc("POST /device", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		p.deviceForms = append(p.deviceForms, r.PostForm)
		p.deviceAuth = append(p.deviceAuth, r.Header.Get("Authorization"))
		rep := p.deviceReply
		if len(p.deviceQueue) > 0 {
			rep, p.deviceQueue = p.deviceQueue[0], p.deviceQueue[1:]
		}
		p.mu.Unlock()
		w.Header().Set("Content-Type", rep.contentType)
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, echo(rep.body, r))
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// echo is a hostile provider's reply that repeats the request: {{name}}
// in body becomes the form value name, {{name%}} its URL encoding, and
// {{authorization}} the HTTP Basic credentials.
func echo(body string, r *http.Request) string {
	var pairs []string
	for k := range r.PostForm {
		v := r.PostForm.Get(k)
		pairs = append(pairs, "{{"+k+"}}", v, "{{"+k+"%}}", url.QueryEscape(v))
	}
	pairs = append(pairs, "{{authorization}}", strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
	return strings.NewReplacer(pairs...).Replace(body)
}

func (p *provider) endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:       p.srv.URL + "/authorize",
		TokenURL:      p.srv.URL + "/token",
		DeviceAuthURL: p.srv.URL + "/device",
		AuthStyle:     oauth2.AuthStyleInParams,
	}
}

func (p *provider) forms() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.tokenForms...)
}

func assertForm(t *testing.T, what string, got, want url.Values) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s form body\n got: %v\nwant: %v", what, got, want)
	}
}

// printURL is a ShowURL that prints what tok prints.
func printURL(w io.Writer) func(AuthURL) {
	return func(u AuthURL) {
		if !u.Opening {
			fmt.Fprintf(w, "%s\n", u.URL)
			if u.Pasteable {
				fmt.Fprintln(w, "If your browser cannot reach this machine, paste the address it ends on here.")
			}
			return
		}
		fmt.Fprintf(w, "Opening your browser to log in. If it does not open, visit:\n  %s\n", u.URL)
	}
}

// printCode is a DisplayCode that prints the plain lines tok prints when
// stderr is not a terminal.
func printCode(w io.Writer) func(DeviceCode) func() {
	return func(c DeviceCode) func() {
		fmt.Fprintf(w, "To log in, visit %s and enter the code: %s\n", c.VerificationURI, c.UserCode)
		if c.VerificationURIComplete != "" {
			fmt.Fprintf(w, "Or open: %s\n", c.VerificationURIComplete)
		}
		return nil
	}
}

// syncBuffer is a Stderr that tests can read while a flow writes to it.
type syncBuffer = syncbuf.Buffer

// waitFor polls cond without depending on a particular wall-clock delay.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// failingTransport fails the requests whose 1-based numbers are in fail,
// as a dropped connection would, and passes the others through.
type failingTransport struct {
	mu   sync.Mutex
	n    int
	fail map[int]bool
}

func (f *failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.n++
	fail := f.fail[f.n]
	f.mu.Unlock()
	if fail {
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// fakeClock is the device flow's clock: sleeping advances it at once.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if len(c.sleeps) > 100 {
		return fmt.Errorf("test: runaway polling")
	}
	return nil
}

func assertNoCanary(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, canary) {
		t.Errorf("%s leaks the canary: %q", what, s)
	}
}
