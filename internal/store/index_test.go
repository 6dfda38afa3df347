package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIndex(t *testing.T) {
	idx := NewIndex(t.TempDir())
	long := "https://mcp.example.com/" + strings.Repeat("very/long/path/", 30)
	entries := []Entry{
		{Provider: "github", Account: "work", Scopes: []string{"repo"}, Store: "keyring"},
		{Provider: "https://mcp.example.com/v1", Account: "default", Refreshable: true,
			Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Store: "file"},
		{Provider: "github", Account: "default", Issuer: "https://github.com"},
		{Provider: "..", Account: "../etc"},
		{Provider: long, Account: "default"},
		{Provider: "a~b", Account: "c"}, // must not collide with a / b~c
		{Provider: "a", Account: "b~c"},
	}
	for _, e := range entries {
		if err := idx.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := idx.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Provider+" "+e.Account)
	}
	want := []string{".. ../etc", "a b~c", "a~b c", "github default", "github work", "https://mcp.example.com/v1 default", long + " default"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("List order:\n got %q\nwant %q", names, want)
	}
	e, err := idx.Get("https://mcp.example.com/v1", "default")
	if err != nil || !reflect.DeepEqual(e, entries[1]) {
		t.Errorf("Get = %+v, %v", e, err)
	}
	checkMode(t, idx.Dir, 0o700)
	files, _ := os.ReadDir(idx.Dir)
	for _, f := range files {
		checkMode(t, filepath.Join(idx.Dir, f.Name()), 0o600)
		if len(f.Name()) > 200 || strings.HasPrefix(f.Name(), ".") {
			t.Errorf("unsafe index file name %q", f.Name())
		}
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := idx.Delete("github", "work"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := idx.Get("github", "work"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
}

func TestIndexEmptyAndStray(t *testing.T) {
	idx := NewIndex(filepath.Join(t.TempDir(), "never-created"))
	if got, err := idx.List(); err != nil || len(got) != 0 {
		t.Fatalf("List of a missing dir = %v, %v", got, err)
	}
	if err := idx.Put(Entry{Provider: "p", Account: "a"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(idx.Dir, "junk.json"), []byte("{"), 0o600)
	os.WriteFile(filepath.Join(idx.Dir, tempPrefix+"1"), []byte("{}"), 0o600)
	if got, err := idx.List(); err != nil || len(got) != 1 {
		t.Fatalf("List with stray files = %v, %v", got, err)
	}
}

// Processes saving different logins write different files, so none is lost.
func TestIndexConcurrentPuts(t *testing.T) {
	idx := NewIndex(t.TempDir())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := idx.Put(Entry{Provider: "p", Account: fmt.Sprint("acct", i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, _ := idx.List(); len(got) != 20 {
		t.Errorf("List has %d entries, want 20", len(got))
	}
}

func TestEntryLoginRoundTrip(t *testing.T) {
	for _, l := range [][2]string{{"dex", "default"}, {"https://mcp.example.com/mcp", "work"}, {"a~b", "c.d"}} {
		p, a, ok := EntryLogin(entryFile(l[0], l[1]))
		if !ok || p != l[0] || a != l[1] {
			t.Errorf("EntryLogin(entryFile(%q, %q)) = %q, %q, %v", l[0], l[1], p, a, ok)
		}
	}
	if _, _, ok := EntryLogin(entryFile("p", strings.Repeat("x", 200))); ok {
		t.Error("a hashed name was read as a login")
	}
}

// Stores sharing a state dir each keep their own entries (README "Where
// tokens are kept"): one target in two stores is two entries, a listing or
// a Delete sees the current store's alone, and entries of the old shared
// layout go to the store that holds their record.
func TestStoreIndexSharedStateDir(t *testing.T) {
	state := t.TempDir()
	held := map[string]bool{}
	holds := func(p, a string) bool { return held[p+":"+a] }
	file := StoreIndex(state, "file", "file", nil)
	keyring := StoreIndex(state, "keyring-tok", "keyring", holds)
	other := StoreIndex(state, "keyring-other", "keyring", func(string, string) bool { return false })

	// written by an older tok: one file-store login, two keyring ones,
	// of which the keyring holds one
	legacy := NewIndex(state)
	for _, e := range []Entry{
		{Provider: "dex", Account: "default", Store: "file"},
		{Provider: "gh", Account: "default", Store: "keyring"},
		{Provider: "gl", Account: "default"}, // before Entry.Store: keyring
	} {
		if err := legacy.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	held["gh:default"] = true
	names := func(x *Index) []string {
		es, err := x.List()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Provider)
		}
		return out
	}
	if got := names(other); got != nil {
		t.Errorf("another keyring service claimed %v", got)
	}
	if got := names(keyring); !reflect.DeepEqual(got, []string{"gh"}) {
		t.Errorf("keyring lists %v, want [gh]", got)
	}
	if got := names(file); !reflect.DeepEqual(got, []string{"dex"}) {
		t.Errorf("file store lists %v, want [dex]", got)
	}
	// claimed entries left the shared directory; the unclaimed one stayed
	if got := names(legacy); !reflect.DeepEqual(got, []string{"gl"}) {
		t.Errorf("legacy directory holds %v, want [gl]", got)
	}

	// the same target in both stores: two entries
	if err := keyring.Put(Entry{Provider: "dex", Account: "default", Store: "keyring", Scopes: []string{"k"}}); err != nil {
		t.Fatal(err)
	}
	if e, err := file.Get("dex", "default"); err != nil || e.Store != "file" {
		t.Errorf("file entry after a keyring save = %+v, %v", e, err)
	}
	// deleting the keyring's leaves the file store's
	if err := keyring.Delete("dex", "default"); err != nil {
		t.Fatal(err)
	}
	if _, err := file.Get("dex", "default"); err != nil {
		t.Errorf("file entry after the keyring's logout: %v", err)
	}
}
