package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// realSizeRecord is a record of the size real OpenID providers issue: a
// 2.5 KB JWT access token, a 1.2 KB ID token and a refresh token.
func realSizeRecord(t testing.TB) []byte {
	t.Helper()
	r := &Record{
		AccessToken:  "eyJ" + strings.Repeat("a", 2500),
		IDToken:      "eyJ" + strings.Repeat("i", 1200),
		RefreshToken: strings.Repeat("r", 64),
		TokenType:    "Bearer", Expiry: time.Unix(2e9, 0), ObtainedAt: time.Unix(1e9, 0),
		Scopes: []string{"openid", "offline_access", "email"}, Issuer: "https://id.example.com", ClientID: "tok",
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestItemCapByPlatform(t *testing.T) {
	long := "token:https://mcp.example.com/a/very/long/path/to/an/mcp/server:default"
	tests := []struct {
		goos string
		key  string
		want int
	}{
		{"linux", long, 0}, {"freebsd", long, 0},
		{"windows", "k", 2560}, {"windows", long, 2560},
		{"darwin", "k", 3000 - len("tok") - 1},
		{"darwin", long, 3000 - len("tok") - len(long)},
		{"darwin", strings.Repeat("k", 4000), minChunk},
	}
	for _, tt := range tests {
		if got := itemCapOn(tt.goos, "tok", tt.key); got != tt.want {
			t.Errorf("itemCapOn(%s, %d-byte key) = %d, want %d", tt.goos, len(tt.key), got, tt.want)
		}
	}
}

// On the Secret Service a login is one item whatever its size, and reading
// it is one keyring call: print's fast path (issue 11).
func TestKeyringOneItemWithoutCap(t *testing.T) {
	ctx := context.Background()
	for _, v := range [][]byte{realSizeRecord(t), randomBytes(t, 64<<10)} {
		fake := newSecretServiceKV()
		b := newLinuxKeyring("tok", time.Second, fake)
		if err := b.Set(ctx, "token:corp:default", v); err != nil {
			t.Fatal(err)
		}
		if len(fake.items) != 1 {
			t.Fatalf("%d bytes: %d items, want 1", len(v), len(fake.items))
		}
		fake.reads = 0
		got, err := b.Get(ctx, "token:corp:default")
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Get = %d bytes, %v", len(got), err)
		}
		if fake.reads != 1 {
			t.Errorf("%d bytes: Get made %d keyring reads, want 1", len(v), fake.reads)
		}
	}
}

// Where the platform caps items, the same record is chunked to fit.
func TestKeyringChunksWhereCapped(t *testing.T) {
	ctx := context.Background()
	fake := newFakeKV()
	b := newChunkedKeyring("tok", time.Second, fake)
	v := realSizeRecord(t)
	if err := b.Set(ctx, "k", v); err != nil {
		t.Fatal(err)
	}
	for k, item := range fake.items {
		if len(item) > testItemCap {
			t.Errorf("item %q holds %d bytes, over the cap", k, len(item))
		}
	}
	if len(fake.items) < 3 {
		t.Errorf("%d items, want a head and chunks", len(fake.items))
	}
	if got, err := b.Get(ctx, "k"); err != nil || !bytes.Equal(got, v) {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
}

// A record an older tok chunked on Linux stays readable, and its next save
// writes one item and removes the old chunks.
func TestKeyringChunkedRecordRewrittenWhole(t *testing.T) {
	ctx := context.Background()
	fake := newSecretServiceKV()
	old := realSizeRecord(t)
	if err := newChunkedKeyring("tok", time.Second, fake).Set(ctx, "k", old); err != nil {
		t.Fatal(err)
	}
	b := newLinuxKeyring("tok", time.Second, fake)
	if got, err := b.Get(ctx, "k"); err != nil || !bytes.Equal(got, old) {
		t.Fatalf("Get of the chunked record = %d bytes, %v", len(got), err)
	}
	v := append(bytes.Clone(old), ' ')
	if err := b.Set(ctx, "k", v); err != nil {
		t.Fatal(err)
	}
	if len(fake.items) != 1 || !strings.HasPrefix(fake.items["tok\x00k"], smallPrefix) {
		t.Fatalf("after the save: %d items, want the record as one item", len(fake.items))
	}
	fake.reads = 0
	if got, err := b.Get(ctx, "k"); err != nil || !bytes.Equal(got, v) || fake.reads != 1 {
		t.Fatalf("Get = %d bytes, %v, %d reads", len(got), err, fake.reads)
	}
}

// Rewriting a chunked record whole keeps crash safety: a writer killed
// before any of its keyring writes leaves the old record or the new.
func TestKeyringRewriteWholeCrash(t *testing.T) {
	ctx := context.Background()
	old, v := realSizeRecord(t), randomBytes(t, 6<<10)
	for crashAt := 0; ; crashAt++ {
		fake := newSecretServiceKV()
		if err := newChunkedKeyring("tok", time.Second, fake).Set(ctx, "k", old); err != nil {
			t.Fatal(err)
		}
		fake.crashAt = fake.writes + crashAt
		err := newLinuxKeyring("tok", time.Second, fake).Set(ctx, "k", v)
		got, gerr := newLinuxKeyring("tok", time.Second, fake.restart()).Get(ctx, "k")
		if gerr != nil || !(bytes.Equal(got, old) || bytes.Equal(got, v)) {
			t.Fatalf("crash before write %d: Get = %d bytes, %v; want old or new", crashAt, len(got), gerr)
		}
		if err == nil {
			if !bytes.Equal(got, v) {
				t.Fatalf("crash before write %d: Set succeeded, the new value is not there", crashAt)
			}
			return
		}
		if errors.Is(gerr, ErrNotFound) {
			t.Fatal("the record is gone")
		}
	}
}
