package token

import (
	"context"
	"testing"
	"time"
)

// A provider whose tokens live 70s, asked for --min-ttl 2m (README
// "print"): the token a refresh for that wish brought is handed out while
// it has more than half its lifetime left, whoever asks; then the next
// run refreshes. A token from a login or a forced refresh says nothing of
// what a refresh for the wish would bring, so it is refreshed at once.
func TestShortLivedTokenRefreshedAtHalfLife(t *testing.T) {
	n := 0
	srv, calls := tokenServer(t, func(map[string]string) (int, map[string]any) {
		n++
		return 200, map[string]any{"access_token": "at" + string(rune('1'+n)), "token_type": "Bearer", "expires_in": 70, "refresh_token": "rt" + string(rune('1'+n))}
	})
	f := newFixture(t, srv.URL)
	f.save(t, "at1", "rt1", 70*time.Second) // as a login leaves it
	ctx := context.Background()
	fresh := func(minTTL time.Duration) string {
		t.Helper()
		rec, err := f.m.Fresh(ctx, f.tgt, f.p, minTTL)
		if err != nil {
			t.Fatal(err)
		}
		return rec.AccessToken
	}
	if got := fresh(2 * time.Minute); got != "at2" || calls.Load() != 1 {
		t.Fatalf("after a login: %s, %d requests; want a refresh", got, calls.Load())
	}
	f.now = f.now.Add(30 * time.Second) // 40s of 70s left
	if got := fresh(2 * time.Minute); got != "at2" || calls.Load() != 1 {
		t.Fatalf("40s of 70s left: %s, %d requests; want the same token", got, calls.Load())
	}
	if got := fresh(5 * time.Minute); got != "at2" || calls.Load() != 1 {
		t.Fatalf("a larger wish: %s, %d requests; want the same token", got, calls.Load())
	}
	if got := fresh(50 * time.Second); got != "at3" || calls.Load() != 2 {
		t.Fatalf("a wish the provider's lifetime meets: %s, %d requests; want a refresh", got, calls.Load())
	}
	f.now = f.now.Add(30 * time.Second) // 40s of 70s left, refreshed for 50s
	if got := fresh(2 * time.Minute); got != "at4" || calls.Load() != 3 {
		t.Fatalf("refreshed for a wish the lifetime met: %s, %d requests; want a refresh", got, calls.Load())
	}
	f.now = f.now.Add(36 * time.Second) // 34s of 70s left
	if got := fresh(2 * time.Minute); got != "at5" || calls.Load() != 4 {
		t.Fatalf("past half-life: %s, %d requests; want a refresh", got, calls.Load())
	}
	if _, err := f.m.Refresh(ctx, f.tgt, f.p); err != nil {
		t.Fatal(err)
	}
	if got := fresh(2 * time.Minute); got != "at7" || calls.Load() != 6 {
		t.Fatalf("after a forced refresh: %s, %d requests; want a refresh", got, calls.Load())
	}
}
