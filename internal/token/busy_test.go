package token

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/config"
)

// busyReply is one scripted answer of the token endpoint.
type busyReply struct {
	status     int
	retryAfter string // the Retry-After header, "" for none
	body       string
}

// busyServer answers each token request with the next reply; the last
// one repeats. It counts the requests.
func busyServer(t *testing.T, replies ...busyReply) (*httptest.Server, func() int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		rep := replies[min(n, len(replies)-1)]
		n++
		mu.Unlock()
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		w.Write([]byte(rep.body))
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

const okRefresh = `{"access_token":"at2","token_type":"Bearer","expires_in":3600,"refresh_token":"rt2"}`

// README "Transient failures never withhold a valid token": a refresh of
// an expired token that meets a busy provider is tried again, up to 3
// requests and 10 s of waiting, each wait the Retry-After (1 s without
// one) when it is at most 5 s. Refusals, silence, a forced refresh and a
// still-valid token are not retried.
func TestBusyRefreshRetries(t *testing.T) {
	busy429 := func(ra string) busyReply {
		return busyReply{429, ra, `{"error":"temporarily_unavailable"}`}
	}
	page503 := busyReply{503, "", "<html>down</html>"}
	ok := busyReply{200, "", okRefresh}
	tests := []struct {
		name      string
		replies   []busyReply
		ttl       time.Duration
		force     bool
		cc        bool
		wantToken string // "" = a failure
		wantCalls int
		wantWaits []time.Duration
		wantErr   string
	}{
		{"429 then ok", []busyReply{busy429("0"), ok}, -time.Second, false, false, "at2", 2, []time.Duration{0}, ""},
		{"503 without Retry-After twice then ok", []busyReply{page503, page503, ok}, -time.Second, false, false, "at2", 3, []time.Duration{time.Second, time.Second}, ""},
		{"server_error then ok", []busyReply{{400, "2", `{"error":"server_error"}`}, ok}, -time.Second, false, false, "at2", 2, []time.Duration{2 * time.Second}, ""},
		{"busy three times", []busyReply{busy429("1")}, -time.Second, false, false, "", 3, []time.Duration{time.Second, time.Second}, "temporarily_unavailable"},
		{"Retry-After too long", []busyReply{busy429("30"), ok}, -time.Second, false, false, "", 1, nil, "temporarily_unavailable"},
		{"Retry-After at the bound", []busyReply{busy429("5"), busy429("5"), ok}, -time.Second, false, false, "at2", 3, []time.Duration{5 * time.Second, 5 * time.Second}, ""},
		{"invalid_grant", []busyReply{{400, "0", `{"error":"invalid_grant"}`}, ok}, -time.Second, false, false, "", 1, nil, "rejected the refresh"},
		{"invalid_grant under a 503", []busyReply{{503, "0", `{"error":"invalid_grant"}`}, ok}, -time.Second, false, false, "", 1, nil, "rejected the refresh"},
		{"still valid: warn, no retry", []busyReply{busy429("0"), ok}, 45 * time.Second, false, false, "at1", 1, nil, ""},
		{"tok refresh: no retry", []busyReply{busy429("0"), ok}, 45 * time.Second, true, false, "", 1, nil, "temporarily_unavailable"},
		{"client credentials expired", []busyReply{page503, ok}, -time.Second, false, true, "at2", 2, []time.Duration{time.Second}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := busyServer(t, tt.replies...)
			f := newFixture(t, srv.URL)
			if tt.cc {
				f.p.Flow, f.p.ClientSecret = config.FlowClientCredentials, "s"
			}
			var warned []string
			f.m.Warn = func(s string) { warned = append(warned, s) }
			f.save(t, "at1", "rt1", tt.ttl)
			var got string
			var err error
			if tt.force {
				_, err = f.m.Refresh(context.Background(), f.tgt, f.p)
			} else if rec, ferr := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute); ferr == nil {
				got = rec.AccessToken
			} else {
				err = ferr
			}
			if got != tt.wantToken || calls() != tt.wantCalls || !reflect.DeepEqual(f.waits, tt.wantWaits) {
				t.Fatalf("token %q, %d requests, waits %v (err %v); want %q, %d, %v", got, calls(), f.waits, err, tt.wantToken, tt.wantCalls, tt.wantWaits)
			}
			if tt.wantToken == "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err %v, want one with %q", err, tt.wantErr)
			}
			if tt.wantToken == "at1" && len(warned) != 1 {
				t.Fatalf("warnings %q, want one", warned)
			}
		})
	}
}

// Silence is not retried: each try could take the whole HTTP timeout.
func TestBusyRefreshNoAnswerNotRetried(t *testing.T) {
	srv, calls := busyServer(t, busyReply{200, "", okRefresh})
	f := newFixture(t, srv.URL)
	srv.Close()
	f.save(t, "at1", "rt1", -time.Second)
	if _, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute); err == nil || len(f.waits) != 0 || calls() != 0 {
		t.Fatalf("err %v, waits %v; want a failure and no retry", err, f.waits)
	}
}

// The end of the command's context (an interrupt, a --timeout) ends the
// wait: no further request, the busy answer is the error.
func TestBusyRefreshStopsWithContext(t *testing.T) {
	srv, calls := busyServer(t, busyReply{429, "2", `{"error":"temporarily_unavailable"}`}, busyReply{200, "", okRefresh})
	f := newFixture(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	f.m.Sleep = func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}
	f.save(t, "at1", "rt1", -time.Second)
	_, err := f.m.Fresh(ctx, f.tgt, f.p, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "temporarily_unavailable") || calls() != 1 {
		t.Fatalf("err %v after %d requests; want the busy answer after 1", err, calls())
	}
}
