package token

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
)

// changedBackend refuses the next write of key as a compare-and-swap would
// (the etcd store) once another writer stored a newer value.
type changedBackend struct {
	*memBackend
	refuse bool
}

func (b *changedBackend) Set(ctx context.Context, k string, v []byte) error {
	if b.refuse {
		b.refuse = false
		return fmt.Errorf("%s: %w", k, store.ErrChanged)
	}
	return b.memBackend.Set(ctx, k, v)
}

// A process whose lock ran out while it refreshed (README "A store shared
// by a fleet") finds its write refused: it hands out the token it got,
// and the newer pair the next holder stored stays the login.
func TestRefreshAfterTheLockRanOut(t *testing.T) {
	var f *fixture
	b := &changedBackend{memBackend: &memBackend{m: map[string][]byte{}}}
	srv, _ := tokenServer(t, func(map[string]string) (int, map[string]any) {
		f.save(t, "at-next", "rt-next", time.Hour) // the next holder's pair
		b.refuse = true
		return 200, map[string]any{"access_token": "at2", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt2"}
	})
	f = newFixture(t, srv.URL)
	f.st = store.New(b, store.NewIndex(t.TempDir()))
	f.m.Store = f.st
	f.save(t, "at1", "rt1", 0)
	rec, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
	if err != nil || rec.AccessToken != "at2" {
		t.Fatalf("rec=%v err=%v", rec, err)
	}
	stored, err := f.st.Load(context.Background(), "dex", "default")
	if err != nil || stored.RefreshToken != "rt-next" {
		t.Fatalf("stored %+v, %v: want the next holder's pair", stored, err)
	}
}
