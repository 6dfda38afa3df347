package flow

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The redirect listener is the only port tok opens. These tests pin down
// what issue 5 asks of it beyond what browser_test.go already checks
// (headers on every answer, the Host check, 303 to /done, closed after a
// successful or timed-out flow).

// It listens on 127.0.0.1 alone: not on other loopback addresses, not on
// IPv6, not on the machine's network interfaces.
func TestListenerBindsLoopbackOnly(t *testing.T) {
	p := newProvider(t, jsonReply(200, goodToken))
	b := startBrowser(t, p, nil)
	u, err := url.Parse(b.redirectURI())
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("redirect URI host %q, want 127.0.0.1", u.Hostname())
	}
	port := u.Port()
	others := []string{"127.0.0.2", "::1"}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				others = append(others, ipn.IP.String())
			}
		}
	}
	for _, host := range others {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second)
		if err == nil {
			c.Close()
			t.Errorf("the redirect listener answers on %s", host)
		}
	}
	b.succeed()
}

// No page the listener serves carries anything from the request: every body
// is one of the fixed pages, whatever the path, query, method or Host.
func TestListenerNeverReflects(t *testing.T) {
	fixed := map[string]bool{}
	for _, p := range []page{successPage(testTarget), pageRefused, pageOver, pageBadRequest, pageNotFound} {
		fixed[string(p.render())] = true
	}
	evil := url.Values{
		"code": {canary}, "error_description": {"<script>" + canary + "</script>"},
		canary: {canary}, "iss": {testIssuer},
	}
	p := newProvider(t, jsonReply(200, goodToken))
	b := startBrowser(t, p, nil)
	base := strings.TrimSuffix(b.redirectURI(), "/callback")
	bad := url.Values{"state": {"forged"}}
	for k, v := range evil {
		bad[k] = v
	}
	probes := []struct{ method, path, host string }{
		{"GET", "/callback?" + bad.Encode(), ""},
		{"GET", "/" + canary + "?" + evil.Encode(), ""},
		{"GET", "/done?" + evil.Encode(), ""},
		{"POST", "/callback?" + evil.Encode(), ""},
		{"GET", "/callback?" + evil.Encode(), canary + ".example"},
	}
	for _, pr := range probes {
		resp, body := b.do(pr.method, base+pr.path, pr.host)
		if !fixed[body] {
			t.Errorf("%s %s: body is not one of the fixed pages: %q", pr.method, pr.path, body)
		}
		for k, vs := range resp.Header {
			assertNoCanary(t, "header "+k, strings.Join(vs, " "))
		}
	}
	// The real callback, then a replay of it: both fixed, and the 303
	// carries no query.
	resp, body := b.do("GET", b.callbackURL(url.Values{"code": {canary}, "iss": {testIssuer}}), "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/done" || body != "<a href=\"/done\">See Other</a>.\n\n" {
		t.Errorf("callback: %d Location %q body %q", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if _, body := b.do("GET", base+"/done", ""); body != string(successPage(testTarget).render()) {
		t.Errorf("done page %q", body)
	}
	if _, err := b.wait(); err != nil {
		t.Fatal(err)
	}
}

// A second callback while the first one's code is being exchanged (a
// replay, or a reload) gets a fixed page and never reaches the token
// endpoint.
func TestListenerRefusesReplay(t *testing.T) {
	release := make(chan struct{})
	var exchanges atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exchanges.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, goodToken)
	}))
	defer slow.Close()
	p := newProvider(t)
	b := startBrowser(t, p, func(r *Request) { r.OAuth.Endpoint.TokenURL = slow.URL + "/token" })
	cb := b.callbackURL(url.Values{"code": {canary}})
	first := make(chan int, 1)
	go func() {
		resp, err := http.Get(cb)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	waitFor(t, "the exchange", func() bool { return exchanges.Load() == 1 })
	resp, body := b.do("GET", cb, "")
	if resp.StatusCode != http.StatusBadRequest || body != string(pageOver.render()) {
		t.Errorf("replay: %d %q", resp.StatusCode, body)
	}
	close(release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("first callback ended on %d, want the success page", code)
	}
	if _, err := b.wait(); err != nil {
		t.Fatal(err)
	}
	if n := exchanges.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// The listener goes away as soon as the flow ends and the browser has the
// page that says so, however it ends.
func TestListenerClosesAfterFailure(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		query url.Values
	}{
		{"provider error", jsonReply(200, goodToken), url.Values{"error": {"access_denied"}}},
		{"exchange refused", jsonReply(400, `{"error":"invalid_grant"}`), url.Values{"code": {testCode}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.reply)
			b := startBrowser(t, p, nil)
			b.do("GET", b.callbackURL(tt.query), "")
			b.do("GET", b.donePage(), "")
			if _, err := b.wait(); err == nil {
				t.Fatal("flow succeeded")
			}
			c, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.TrimSuffix(b.redirectURI(), "/callback"), "http://"), time.Second)
			if err == nil {
				c.Close()
				t.Error("the redirect listener is still up after the flow failed")
			}
		})
	}
}
