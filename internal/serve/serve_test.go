package serve

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

type doc struct {
	Target string `json:"target"`
}

func start(t *testing.T, targets []string, fetch Fetch) (*Server, *strings.Builder) {
	t.Helper()
	if fetch == nil {
		fetch = func(_ context.Context, target string) (any, error) { return doc{target}, nil }
	}
	log := &strings.Builder{}
	var mu sync.Mutex
	s, err := Start(targets, fetch, func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		log.WriteString(msg + "\n")
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, log
}

func get(t *testing.T, s *Server, rawPath string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+rawPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestSecret(t *testing.T) {
	s, _ := start(t, []string{"dex"}, nil)
	b, err := base64.RawURLEncoding.DecodeString(s.Secret())
	if err != nil || len(b) < 32 {
		t.Errorf("secret %d bytes (%v), want 32 random bytes base64url", len(b), err)
	}
	s2, _ := start(t, []string{"dex"}, nil)
	if s2.Secret() == s.Secret() {
		t.Error("two servers share a secret")
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %s is not on 127.0.0.1", s.URL())
	}
}

func TestRequests(t *testing.T) {
	const mcp = "https://mcp.example.com/v1/mcp"
	s, log := start(t, []string{"dex", "gh:work", mcp}, nil)
	auth := map[string]string{"Authorization": "Bearer " + s.Secret()}
	for _, tc := range []struct {
		name   string
		path   string
		header map[string]string
		status int
		target string // served target, for 200
	}{
		{"named target", "/token/dex", auth, 200, "dex"},
		{"PROVIDER:default is PROVIDER", "/token/dex:default", auth, 200, "dex"},
		{"account", "/token/gh:work", auth, 200, "gh:work"},
		{"MCP URL path-escaped", "/token/https:%2F%2Fmcp.example.com%2Fv1%2Fmcp", auth, 200, mcp},
		{"MCP URL query-escaped", "/token/https%3A%2F%2Fmcp.example.com%2Fv1%2Fmcp%2F", auth, 200, mcp},
		{"MCP URL unescaped", "/token/https://mcp.example.com/v1/mcp", auth, 200, mcp},
		{"scheme in lower case", "/token/dex", map[string]string{"Authorization": "bearer " + s.Secret()}, 200, "dex"},
		{"no secret", "/token/dex", nil, 401, ""},
		{"wrong secret", "/token/dex", map[string]string{"Authorization": "Bearer " + strings.Repeat("A", 43)}, 401, ""},
		{"secret as basic", "/token/dex", map[string]string{"Authorization": "Basic " + s.Secret()}, 401, ""},
		{"secret prefix", "/token/dex", map[string]string{"Authorization": "Bearer " + s.Secret()[:40]}, 401, ""},
		{"no secret, unnamed target", "/token/gh", nil, 401, ""},
		{"unnamed target", "/token/gh", auth, 403, ""},
		{"other account", "/token/dex:work", auth, 403, ""},
		{"other URL", "/token/https:%2F%2Fevil.example.com%2Fmcp", auth, 403, ""},
		{"from a browser page", "/token/dex", map[string]string{"Authorization": "Bearer " + s.Secret(), "Origin": "http://evil.example"}, 403, ""},
		{"no target", "/token/", auth, 404, ""},
		{"other path", "/", auth, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := get(t, s, tc.path, tc.header)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
			}
			if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
			if tc.status != 200 {
				var e map[string]string
				if json.Unmarshal([]byte(body), &e) != nil || e["error"] == "" {
					t.Errorf("error body %q is not an error document", body)
				}
				return
			}
			var d doc
			if err := json.Unmarshal([]byte(body), &d); err != nil || d.Target != tc.target {
				t.Errorf("served %q, want the document of %s", body, tc.target)
			}
		})
	}
	if strings.Contains(log.String(), s.Secret()) || strings.Contains(log.String(), s.Secret()[:40]) {
		t.Error("the log holds the secret")
	}
	if n := strings.Count(log.String(), "without the right secret"); n != 1 {
		t.Errorf("refusals logged %d times, want once:\n%s", n, log.String())
	}
}

// Every refused request is told to Refused (the audit log), with the
// target it asked for and why, never the secret; a flood stops at
// MaxRefused.
func TestRefusalsAreReported(t *testing.T) {
	type refusal struct{ target, reason string }
	var (
		mu  sync.Mutex
		got []refusal
	)
	s, err := Start([]string{"dex"}, func(context.Context, string) (any, error) { return doc{"dex"}, nil }, nil,
		func(target, reason string) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, refusal{target, reason})
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	auth := "Bearer " + s.Secret()
	wrong := "Bearer " + s.Secret()[:40]
	for _, tc := range []struct {
		path, auth, origin string
		want               refusal
	}{
		{"/token/dex", "", "", refusal{"dex", "a request without the right secret (HTTP 401)"}},
		{"/token/dex:work", wrong, "", refusal{"dex:work", "a request without the right secret (HTTP 401)"}},
		{"/other", "", "", refusal{"", "a request without the right secret (HTTP 401)"}},
		{"/token/dex", auth, "http://evil.example", refusal{"dex", "a request from a browser page (HTTP 403)"}},
		{"/token/https:%2F%2Fevil.example.com%2Fmcp", auth, "", refusal{"https://evil.example.com/mcp", "a request for a target tok exec was not given (HTTP 403)"}},
		{"/token/dex:%1b[2J", auth, "", refusal{"dex:?[2J", "a request for a target tok exec was not given (HTTP 403)"}},
	} {
		mu.Lock()
		got = nil
		mu.Unlock()
		status, _, _ := get(t, s, tc.path, map[string]string{"Authorization": tc.auth, "Origin": tc.origin})
		mu.Lock()
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("GET %s (%d): refusals %q, want %q", tc.path, status, got, tc.want)
		}
		mu.Unlock()
	}
	// A served request is no refusal.
	mu.Lock()
	got = nil
	mu.Unlock()
	get(t, s, "/token/dex", map[string]string{"Authorization": auth})
	mu.Lock()
	if len(got) != 0 {
		t.Errorf("a served request was reported refused: %q", got)
	}
	mu.Unlock()
	for range MaxRefused + 20 {
		get(t, s, "/token/dex", nil)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := MaxRefused - 6; len(got) != n {
		t.Fatalf("%d refusals reported after a flood, want the %d left under MaxRefused", len(got), n)
	}
	if last := got[len(got)-1].reason; !strings.HasSuffix(last, "; further refusals of this endpoint are not logged") {
		t.Errorf("the last refusal reported says %q, not that more are not logged", last)
	}
	for _, r := range got {
		if strings.Contains(r.target+r.reason, s.Secret()[:40]) {
			t.Errorf("a refusal holds the secret: %q", r)
		}
	}
}

func TestPostRefused(t *testing.T) {
	s, _ := start(t, []string{"dex"}, nil)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/token/dex", nil)
	req.Header.Set("Authorization", "Bearer "+s.Secret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

func TestFetchErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{tokerr.LoginNeededFor("dex", errors.New("the provider rejected the refresh")), 503, "login_needed"},
		{tokerr.New(tokerr.StoreUnavailable, "the os keyring is not reachable"), 503, "store_unavailable"},
		{errors.New("refreshing dex: connection refused"), 502, "refresh_failed"},
	} {
		s, log := start(t, []string{"dex"}, func(context.Context, string) (any, error) { return nil, tc.err })
		status, body, _ := get(t, s, "/token/dex", map[string]string{"Authorization": "Bearer " + s.Secret()})
		var e map[string]string
		json.Unmarshal([]byte(body), &e)
		if status != tc.status || e["error"] != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, status, body, tc.status, tc.code)
		}
		if tc.code == "login_needed" && !strings.Contains(e["error_description"], "run: tok login dex") {
			t.Errorf("login_needed without the fix: %s", body)
		}
		if !strings.HasPrefix(log.String(), "token endpoint: ") || strings.Count(log.String(), "\n") != 1 {
			t.Errorf("log %q, want one line", log.String())
		}
	}
}

// Requests for one target are served one at a time, so a burst finds the
// token the first request refreshed rather than refreshing again.
func TestOneFetchAtATimePerTarget(t *testing.T) {
	var running, most atomic.Int32
	s, _ := start(t, []string{"dex"}, func(context.Context, string) (any, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return doc{"dex"}, nil
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			get(t, s, "/token/dex", map[string]string{"Authorization": "Bearer " + s.Secret()})
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d fetches ran at once, want 1", most.Load())
	}
}

func TestClosedServerRefusesConnections(t *testing.T) {
	s, _ := start(t, []string{"dex"}, nil)
	s.Close()
	if _, err := http.Get(s.URL() + "/token/dex"); err == nil {
		t.Error("the endpoint still answers after Close")
	}
}

// Close waits for a fetch under way, which the closing connection tells
// to stop: a refresh it sent still has its answer to store (the child
// exits while tok refreshes for it).
func TestCloseWaitsForFetchUnderWay(t *testing.T) {
	entered, stopped := make(chan struct{}), make(chan struct{})
	var returned atomic.Bool
	s, _ := start(t, []string{"dex"}, func(ctx context.Context, _ string) (any, error) {
		close(entered)
		<-ctx.Done()
		close(stopped)
		// The refresh under way finishes and is stored.
		for range 1000 {
			runtime.Gosched()
		}
		returned.Store(true)
		return nil, ctx.Err()
	})
	go func() {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/token/dex", nil)
		req.Header.Set("Authorization", "Bearer "+s.Secret())
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	s.Close()
	<-stopped
	if !returned.Load() {
		t.Fatal("Close returned while a fetch was under way")
	}
}
