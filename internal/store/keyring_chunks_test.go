package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestKeyringRoundTrip(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0}, {"small", 100}, {"at the edge", 1344}, {"just over", 1345},
		{"8 KiB", 8 << 10}, {"64 KiB", 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeKV()
			b := newChunkedKeyring("tok-test", time.Second, fake)
			v := randomBytes(t, tt.size)
			if err := b.Set(ctx, "token:p:a", v); err != nil {
				t.Fatal(err)
			}
			got, err := b.Get(ctx, "token:p:a")
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get = %d bytes, %v; want %d bytes", len(got), err, len(v))
			}
			if err := b.Delete(ctx, "token:p:a"); err != nil {
				t.Fatal(err)
			}
			if len(fake.items) != 0 {
				t.Errorf("Delete left %d items", len(fake.items))
			}
			if _, err := b.Get(ctx, "token:p:a"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete: %v, want ErrNotFound", err)
			}
		})
	}
}

// A value that looks like a chunk header must come back as itself.
func TestKeyringValueLooksLikeHeader(t *testing.T) {
	ctx := context.Background()
	b := newChunkedKeyring("tok-test", time.Second, newFakeKV())
	v := []byte(chunkHead{gen: strings.Repeat("a", 16), n: 1, sum: strings.Repeat("0", 64)}.String())
	if err := b.Set(ctx, "k", v); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "k"); err != nil || !bytes.Equal(got, v) {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

// Replacing a chunked value removes the old generation's chunks.
func TestKeyringReplaceCleansOldChunks(t *testing.T) {
	ctx := context.Background()
	fake := newFakeKV()
	b := newChunkedKeyring("tok-test", time.Second, fake)
	for _, n := range []int{8 << 10, 9 << 10, 100} {
		if err := b.Set(ctx, "k", randomBytes(t, n)); err != nil {
			t.Fatal(err)
		}
	}
	if len(fake.items) != 1 {
		t.Errorf("after replacing, %d items remain, want only the head", len(fake.items))
	}
}

// TestKeyringCrash kills the writer before each of its keyring writes in
// turn; the next process must read the old value or the new, never an error.
func TestKeyringCrash(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		old, new []byte
	}{
		{"none to big", nil, randomBytes(t, 8<<10)},
		{"small to big", randomBytes(t, 50), randomBytes(t, 8<<10)},
		{"big to big", randomBytes(t, 6<<10), randomBytes(t, 8<<10)},
		{"big to small", randomBytes(t, 8<<10), randomBytes(t, 50)},
		{"big to none", randomBytes(t, 8<<10), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for crashAt := 0; ; crashAt++ {
				fake := newFakeKV()
				if tt.old != nil {
					if err := newChunkedKeyring("tok-test", time.Second, fake).Set(ctx, "k", tt.old); err != nil {
						t.Fatal(err)
					}
				}
				fake.crashAt = fake.writes + crashAt
				b := newChunkedKeyring("tok-test", time.Second, fake)
				var err error
				if tt.new != nil {
					err = b.Set(ctx, "k", tt.new)
				} else {
					err = b.Delete(ctx, "k")
				}
				got, gerr := newChunkedKeyring("tok-test", time.Second, fake.restart()).Get(ctx, "k")
				isOld := bytes.Equal(got, tt.old) && (tt.old != nil || errors.Is(gerr, ErrNotFound))
				isNew := bytes.Equal(got, tt.new) && (tt.new != nil || errors.Is(gerr, ErrNotFound))
				if (gerr != nil && !errors.Is(gerr, ErrNotFound)) || !(isOld || isNew) {
					t.Fatalf("crash before write %d: Get = %d bytes, %v; want old or new value", crashAt, len(got), gerr)
				}
				if err == nil {
					if !isNew {
						t.Fatalf("crash before write %d: write succeeded but the new value is not there", crashAt)
					}
					return // crashAt passed the last write: every step was covered
				}
			}
		})
	}
}

// The crash the brief names: every chunk written, the head not.
func TestKeyringCrashBeforeHead(t *testing.T) {
	ctx := context.Background()
	fake := newFakeKV()
	old := []byte("old value")
	if err := newChunkedKeyring("tok-test", time.Second, fake).Set(ctx, "k", old); err != nil {
		t.Fatal(err)
	}
	// 8 KiB is 10924 base64 bytes: 7 chunks, so the head is write number 8.
	fake.crashAt = fake.writes + 7
	if err := newChunkedKeyring("tok-test", time.Second, fake).Set(ctx, "k", randomBytes(t, 8<<10)); err == nil {
		t.Fatal("Set succeeded despite the crash")
	}
	if len(fake.items) != 8 {
		t.Fatalf("want old head and 7 new chunks, have %d items", len(fake.items))
	}
	got, err := newChunkedKeyring("tok-test", time.Second, fake.restart()).Get(ctx, "k")
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("Get = %q, %v; want the old value", got, err)
	}
}
