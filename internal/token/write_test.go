package token

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// heldLocker records whether a lock is held; lockedStore fails a test that
// writes without it.
type heldLocker struct {
	held  atomic.Bool
	taken atomic.Int32
}

func (l *heldLocker) Lock(context.Context, string) (func(), error) {
	if !l.held.CompareAndSwap(false, true) {
		return nil, errors.New("lock taken twice")
	}
	l.taken.Add(1)
	return func() { l.held.Store(false) }, nil
}

type lockedStore struct {
	Store
	t    *testing.T
	lock *heldLocker
}

func (s lockedStore) Save(ctx context.Context, p, a string, r *store.Record) error {
	if !s.lock.held.Load() {
		s.t.Error("Save without the target's lock")
	}
	return s.Store.Save(ctx, p, a, r)
}

func (s lockedStore) Remove(ctx context.Context, p, a string) error {
	if !s.lock.held.Load() {
		s.t.Error("Remove without the target's lock")
	}
	return s.Store.Remove(ctx, p, a)
}

func (s lockedStore) RemoveRaw(ctx context.Context, k string) error {
	if !s.lock.held.Load() {
		s.t.Error("RemoveRaw without the target's lock")
	}
	return s.Store.RemoveRaw(ctx, k)
}

func lockedFixture(t *testing.T, tokenURL string) (*fixture, *heldLocker) {
	f := newFixture(t, tokenURL)
	l := &heldLocker{}
	f.m.Locks, f.m.Store = l, lockedStore{Store: f.st, t: t, lock: l}
	return f, l
}

func refused(code string) func(map[string]string) (int, map[string]any) {
	return func(map[string]string) (int, map[string]any) { return 400, map[string]any{"error": code} }
}

func TestEveryWriteHoldsTheLock(t *testing.T) {
	srv, _ := tokenServer(t, func(map[string]string) (int, map[string]any) {
		return 200, map[string]any{"access_token": "at2", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt2"}
	})
	f, l := lockedFixture(t, srv.URL)
	ctx := context.Background()
	rec := &store.Record{AccessToken: "at1", RefreshToken: "rt1", Expiry: f.now.Add(time.Hour)}
	if err := f.m.Login(ctx, f.tgt, rec, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Import(ctx, f.tgt, f.p, rec, false, nil); err != nil {
		t.Fatal(err)
	}
	// identify sees the refreshed tokens; the identity is stored with
	// them, under the lock too.
	identify := func(_ context.Context, r *store.Record) { r.Identity = &store.Identity{Sub: "of-" + r.AccessToken} }
	if got, err := f.m.Import(ctx, f.tgt, f.p, rec, true, identify); err != nil || got.AccessToken != "at2" {
		t.Fatalf("Import with check = %v, %v", got, err)
	}
	if got, err := f.st.Load(ctx, f.tgt.Provider, f.tgt.Account); err != nil || got.Identity == nil || got.Identity.Sub != "of-at2" {
		t.Fatalf("stored after Import = %+v, %v; want the identity of the refreshed tokens", got, err)
	}
	if _, err := f.m.Refresh(ctx, f.tgt, f.p); err != nil {
		t.Fatal(err)
	}
	if found, err := f.m.Logout(ctx, f.tgt, f.p, false); !found || err != nil {
		t.Fatalf("Logout = %v, %v", found, err)
	}
	if found, err := f.m.Logout(ctx, f.tgt, f.p, false); found || err != nil {
		t.Fatalf("second Logout = %v, %v; want not found, no error", found, err)
	}
	if n := l.taken.Load(); n != 6 {
		t.Errorf("lock taken %d times, want once per call (6)", n)
	}
}

func TestImportRefusedRestores(t *testing.T) {
	for _, withOld := range []bool{true, false} {
		srv, _ := tokenServer(t, refused("invalid_grant"))
		f, _ := lockedFixture(t, srv.URL)
		if withOld {
			f.save(t, "at0", "rt0", time.Hour)
		}
		imported := &store.Record{RefreshToken: "bad"}
		_, err := f.m.Import(context.Background(), f.tgt, f.p, imported, true, nil)
		if tokerr.ExitCode(err) != int(tokerr.LoginNeeded) {
			t.Fatalf("err = %v, want login needed", err)
		}
		got, lerr := f.st.Load(context.Background(), "dex", "default")
		switch {
		case withOld && (lerr != nil || got.RefreshToken != "rt0"):
			t.Errorf("after a refused import: %v, %v; want the old login back", got, lerr)
		case !withOld && !errors.Is(lerr, store.ErrNotFound):
			t.Errorf("after a refused import with nothing before: %v, %v; want nothing stored", got, lerr)
		}
	}
}

// A refresh refused with invalid_client forgets the MCP registration, so
// that the next login registers anew.
func TestRefusedRefreshForgetsRegistration(t *testing.T) {
	for _, code := range []string{"invalid_client", "invalid_grant"} {
		t.Run(code, func(t *testing.T) {
			srv, _ := tokenServer(t, refused(code))
			f, _ := lockedFixture(t, srv.URL)
			f.m.StateDir = t.TempDir()
			var notes []string
			f.m.Note = func(s string) { notes = append(notes, s) }
			s := &provider.MCPServer{Name: "dex", URL: "https://mcp.example.com/mcp", Issuer: "https://as.example.com",
				ClientKind: mcp.KindRegistered, ClientID: "reg-1", RedirectURI: mcp.RedirectURI(5555), HasSecret: true}
			if err := provider.SaveMCPServer(f.m.StateDir, s); err != nil {
				t.Fatal(err)
			}
			key := mcp.RegistrationKey(s.Issuer, s.RedirectURI)
			if err := f.st.SaveRaw(context.Background(), key, []byte(`{"client_id":"reg-1"}`)); err != nil {
				t.Fatal(err)
			}
			f.p.MCPServer = s
			f.save(t, "at1", "rt1", -time.Minute)
			_, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
			if tokerr.ExitCode(err) != int(tokerr.LoginNeeded) {
				t.Fatalf("err = %v, want login needed", err)
			}
			_, rerr := f.st.LoadRaw(context.Background(), key)
			saved, _ := provider.LoadMCPServer(f.m.StateDir, "dex")
			forgot := errors.Is(rerr, store.ErrNotFound) || errors.Is(rerr, os.ErrNotExist)
			if want := code == "invalid_client"; forgot != want || (saved.ClientID == "") != want || (len(notes) == 1) != want {
				t.Fatalf("forgot=%v (%v) client=%q notes=%q; want forgotten: %v", forgot, rerr, saved.ClientID, notes, want)
			}
			if code == "invalid_client" && !strings.Contains(notes[0], "the next login registers a new one") {
				t.Errorf("note %q", notes[0])
			}
		})
	}
}
