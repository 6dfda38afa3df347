package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	backends := map[string]Backend{
		"file":    NewFile(FileDir(state), "pw", false),
		"keyring": newKeyring("tok", time.Second, newFakeKV()),
	}
	for name, b := range backends {
		t.Run(name, func(t *testing.T) {
			idx := NewIndex(filepath.Join(state, name))
			s := New(b, idx)
			if _, err := s.Load(ctx, "dex", "default"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Load before Save: %v", err)
			}
			r := testRecord()
			if err := s.Save(ctx, "dex", "default", r); err != nil {
				t.Fatal(err)
			}
			got, err := s.Load(ctx, "dex", "default")
			if err != nil || got.AccessToken != r.AccessToken || !got.Expiry.Equal(r.Expiry) {
				t.Fatalf("Load = %+v, %v", got, err)
			}
			list, _ := s.List()
			want := []Entry{{Provider: "dex", Account: "default", Scopes: r.Scopes, Expiry: r.Expiry,
				Refreshable: true, ObtainedAt: r.ObtainedAt, Issuer: r.Issuer, Store: name}}
			if !reflect.DeepEqual(list, want) {
				t.Errorf("List:\n got %+v\nwant %+v", list, want)
			}
			for i := 0; i < 2; i++ { // Remove is idempotent
				if err := s.Remove(ctx, "dex", "default"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Load(ctx, "dex", "default"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Load after Remove: %v", err)
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Errorf("index after Remove: %+v", list)
			}
		})
	}
}

// The index is for status: it must never hold a token.
func TestIndexHoldsNoSecret(t *testing.T) {
	idx := NewIndex(t.TempDir())
	s := New(&memBackend{m: map[string][]byte{}}, idx)
	if err := s.Save(context.Background(), "p", "a", testRecord()); err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(idx.Dir)
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(idx.Dir, f.Name()))
		if bytes.Contains(b, []byte("TOPSECRET")) || bytes.Contains(b, []byte("eyJ")) {
			t.Errorf("index file %s holds a token: %s", f.Name(), b)
		}
	}
}

func TestStoreRaw(t *testing.T) {
	ctx := context.Background()
	s := New(newKeyring("tok", time.Second, newFakeKV()), nil)
	key := "registration:https://issuer.example"
	if _, err := s.LoadRaw(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadRaw before SaveRaw: %v", err)
	}
	v := []byte(`{"client_id":"x","client_secret":"y"}`)
	if err := s.SaveRaw(ctx, key, v); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LoadRaw(ctx, key); err != nil || !bytes.Equal(got, v) {
		t.Fatalf("LoadRaw = %q, %v", got, err)
	}
	for i := 0; i < 2; i++ {
		if err := s.RemoveRaw(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := s.List(); err != nil || list != nil {
		t.Errorf("List without an index = %v, %v", list, err)
	}
}
