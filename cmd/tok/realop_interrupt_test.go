//go:build unix

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Ctrl-C or SIGHUP while node oidc-provider's answer to a refresh is on its way
// (it has consumed the refresh token, and revokes the whole grant if that
// token comes back): tok stores the answer before it exits 130, so the
// login refreshes afterwards and the provider counts no error.
func TestRealProviderInterruptedRefresh(t *testing.T) {
	t.Parallel()
	op := startRealOP(t)
	var md struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	op.get(t, "/.well-known/openid-configuration", &md)
	slow := newHoldingProxy(t, op.issuer)
	cfg := fmt.Sprintf(`providers:
  slow:
    issuer: %s
    token_url: %s
    client_id: tok-public
    scopes: [openid, offline_access]
    flow: browser
    auth_params: {prompt: consent}
`, op.issuer, strings.Replace(md.TokenEndpoint, op.issuer, slow.url, 1))
	e := newTokEnv(t, withConfigOutsideHome(cfg), withEnv("TOK_BROWSER=realbrowse"))
	// Ctrl-C, and a hangup (terminal closed, SSH dropped), each on a
	// login of its own.
	for i, tc := range []struct {
		sig  syscall.Signal
		args []string
	}{
		{syscall.SIGINT, []string{"exec", "slow", "--min-ttl", "10m", "--", "exit-with", "0"}},
		{syscall.SIGHUP, []string{"print", "slow", "--min-ttl", "10m"}},
	} {
		e.run("login", "slow")
		slow.hold(true)
		stderr, code := interruptWhenHeld(t, e, slow, tc.sig, tc.args...)
		if code != 130 || !strings.Contains(stderr, "finishing the refresh of slow") {
			t.Fatalf("%v: exit %d, stderr:\n%s", tc.sig, code, stderr)
		}
		e.run("refresh", "slow")
		if n, bad := op.refreshes(t); n != 2*(i+1) || bad != 0 {
			t.Fatalf("%v: %d refresh requests, %d errors; want %d and 0 (the grant intact)", tc.sig, n, bad, 2*(i+1))
		}
	}
}

// holdingProxy forwards to a real provider and, while holding, keeps each
// token endpoint answer until Release: the provider has acted on the
// request by then.
type holdingProxy struct {
	url     string
	mu      sync.Mutex
	holding bool
	held    int
	release chan struct{}
}

func newHoldingProxy(t *testing.T, target string) *holdingProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	h := &holdingProxy{release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodPost && strings.HasSuffix(resp.Request.URL.Path, "/token") {
			h.wait(resp.Request)
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *holdingProxy) wait(r *http.Request) {
	h.mu.Lock()
	if !h.holding {
		h.mu.Unlock()
		return
	}
	h.held++
	release := h.release
	h.mu.Unlock()
	select {
	case <-release:
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
	h.mu.Lock()
	h.held--
	h.mu.Unlock()
}

func (h *holdingProxy) hold(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if on && !h.holding {
		// Held anew, after a Release.
		h.release, h.held = make(chan struct{}), 0
	}
	h.holding = on
}

func (h *holdingProxy) Held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}

func (h *holdingProxy) Release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holding {
		h.holding = false
		close(h.release)
	}
}
