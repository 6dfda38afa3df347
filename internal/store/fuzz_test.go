package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

// Fuzz targets for what tok reads back from its stores, which another
// program, a damaged disk or an older or newer tok may have written.

// FuzzUnmarshalRecord decodes stored token records. A record is accepted
// whole or refused with an error that holds none of its bytes.
func FuzzUnmarshalRecord(f *testing.F) {
	good, _ := (&Record{AccessToken: "at", RefreshToken: "rt", Expiry: time.Unix(1e9, 0), Scopes: []string{"openid"}}).Marshal()
	f.Add(good)
	f.Add([]byte(`{"version":2,"access_token":"x"}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"refresh_token":"r","expiry":"not a time"}`))
	f.Add([]byte(`{"version":1e400}`))
	f.Add([]byte(`null`))
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := UnmarshalRecord(b)
		if err != nil {
			if r != nil {
				t.Fatal("both a record and an error")
			}
			msg := err.Error()
			if msg != ErrCorrupt.Error() && !strings.HasSuffix(msg, "upgrade tok") {
				t.Fatalf("unexpected error %q", msg)
			}
			return
		}
		if r.Version != RecordVersion || (r.AccessToken == "" && r.RefreshToken == "") {
			t.Fatalf("accepted %+v", r)
		}
		// What was accepted survives a write and a read.
		again, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		r2, err := UnmarshalRecord(again)
		if err != nil || r2.AccessToken != r.AccessToken || r2.RefreshToken != r.RefreshToken || !r2.Expiry.Equal(r.Expiry) {
			t.Fatalf("round trip: %+v, %v", r2, err)
		}
	})
}

// FuzzKeyringRead reads a keyring head item, and the chunks it may point
// at, as another program could have left them. The read must not panic,
// must not ask for more than maxChunks items, and fails only with
// ErrCorrupt and the key, never the stored text.
func FuzzKeyringRead(f *testing.F) {
	small := smallPrefix + base64.StdEncoding.EncodeToString([]byte("value"))
	v := []byte(strings.Repeat("x", 3000))
	enc := base64.StdEncoding.EncodeToString(v)
	head := chunkHead{gen: "0123456789abcdef", n: 2, sum: checksum(v)}.String()
	f.Add(small, "", "")
	f.Add(head, enc[:testItemCap], enc[testItemCap:])
	f.Add(head, enc[:testItemCap], "")
	f.Add(chunkPrefix+"0123456789abcdef:4097:"+strings.Repeat("0", 64), "", "")
	f.Add(chunkPrefix+"0123456789abcdef:-1:"+strings.Repeat("0", 64), "", "")
	f.Add(smallPrefix+"!!!", "", "")
	f.Add("tok-chunks:v1:::", "a", "b")
	f.Fuzz(func(t *testing.T, headItem, chunk0, chunk1 string) {
		kv := newFakeKV()
		gets := 0
		b := newChunkedKeyring("svc", time.Second, &countingKV{fakeKV: kv, gets: &gets})
		kv.items["svc\x00k"] = headItem
		if h, ok := parseHead(headItem); ok {
			kv.items["svc\x00"+chunkKey("k", h.gen, 0)] = chunk0
			kv.items["svc\x00"+chunkKey("k", h.gen, 1)] = chunk1
		}
		val, err := b.Get(context.Background(), "k")
		if gets > 3*(maxChunks+1) {
			t.Fatalf("%d keyring reads", gets)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || tokerr.ExitCode(err) != 1 {
				t.Fatalf("error %v", err)
			}
			msg := err.Error()
			for _, s := range []string{headItem, chunk0, chunk1} {
				if len(s) > 12 && strings.Contains(msg, s) {
					t.Fatalf("the error quotes the stored text: %q", msg)
				}
			}
			return
		}
		// Whatever was read, writing it back and reading it again gives
		// the same bytes.
		if err := b.Set(context.Background(), "k2", val); err != nil {
			if bytes.Contains([]byte(err.Error()), val) && len(val) > 12 {
				t.Fatalf("set error quotes the value: %v", err)
			}
			return
		}
		got, err := b.Get(context.Background(), "k2")
		if err != nil || !bytes.Equal(got, val) {
			t.Fatalf("round trip: %q, %v", got, err)
		}
	})
}

type countingKV struct {
	*fakeKV
	gets *int
}

func (c *countingKV) Get(service, user string) (string, error) {
	*c.gets++
	return c.fakeKV.Get(service, user)
}

// FuzzParseHead reads chunk headers: whatever parses must print back the
// same.
func FuzzParseHead(f *testing.F) {
	f.Add(chunkHead{gen: "0123456789abcdef", n: 3, sum: strings.Repeat("ab", 32)}.String())
	f.Add(chunkPrefix + "0123456789abcdef:+3:" + strings.Repeat("ab", 32))
	f.Add(chunkPrefix + "0123456789ABCDEF:03:" + strings.Repeat("AB", 32))
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := parseHead(s)
		if !ok {
			return
		}
		if h.n < 1 || h.n > maxChunks {
			t.Fatalf("n = %d", h.n)
		}
		if h2, ok := parseHead(h.String()); !ok || h2 != h {
			t.Fatalf("%q parses to %+v, which prints as %q", s, h, h.String())
		}
		_ = fmt.Sprint(h)
	})
}

// FuzzParseKey reads file-store keys from TOK_FILE_KEY and key files. A key
// is accepted only when it round-trips, and a refusal never repeats its
// input.
func FuzzParseKey(f *testing.F) {
	f.Add("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
	f.Add("# created: 2026-11-30T10:00:00Z\n# public key: age1xyz\nAGE-SECRET-KEY-1QQQQ\n")
	f.Add("age-secret-key-1\n\n")
	f.Add("AGE-SECRET-KEY-1\nAGE-SECRET-KEY-1")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			if !errors.Is(err, ErrNotAKey) || err.Error() != ErrNotAKey.Error() {
				t.Fatalf("unexpected error %q", err)
			}
			return
		}
		again, err := ParseKey(k.Identity())
		if err != nil || again.Recipient() != k.Recipient() {
			t.Fatalf("the parsed key does not round-trip: %v", err)
		}
	})
}

// FuzzEntryLogin reads index file names back into logins: any name the
// state dir may hold is refused or read as the one login whose file it is.
func FuzzEntryLogin(f *testing.F) {
	f.Add("dex~default.json")
	f.Add("https%3A%2F%2Fmcp%2Eexample%2Ecom%2Fmcp~work.json")
	f.Add("h-" + strings.Repeat("a", 64) + ".json")
	f.Add("a~b~c.json")
	f.Add("%zz~a.json")
	f.Add("~.json")
	f.Fuzz(func(t *testing.T, name string) {
		p, a, ok := EntryLogin(name)
		if ok && entryFile(p, a) != name {
			t.Fatalf("EntryLogin(%q) = %q, %q, whose file is %q", name, p, a, entryFile(p, a))
		}
	})
}
