package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func newLog(t testing.TB) (*Log, *bytes.Buffer) {
	var warn bytes.Buffer
	return &Log{Path: filepath.Join(t.TempDir(), "state", FileName), Now: func() time.Time { return t0 }, Warn: func(s string) { warn.WriteString(s + "\n") }}, &warn
}

func TestWriteLine(t *testing.T) {
	l, warn := newLog(t)
	tok := "secret-access-token-value"
	l.Write(Entry{Event: EventHandout, Verb: "print", Target: "dex:default", Scopes: []string{"openid"}, TokenSHA256: TokenID(tok), Expiry: t0.Add(time.Hour)})
	b, err := os.ReadFile(l.Path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok) {
		t.Fatal("the token itself is in the log")
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil || !bytes.HasSuffix(b, []byte("}\n")) || bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("not one JSON line: %q (%v)", b, err)
	}
	for _, k := range []string{"time", "event", "verb", "target", "scopes", "expiry", "token_sha256", "pid", "ppid", "cwd"} {
		if _, ok := got[k]; !ok {
			t.Errorf("field %s missing: %s", k, b)
		}
	}
	if id := got["token_sha256"].(string); len(id) != 12 {
		t.Errorf("token_sha256 %q is not 12 hex digits", id)
	}
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		if got["parent"] == nil || got["parent_exe"] == nil {
			t.Errorf("parent process details missing on a system with /proc: %s", b)
		}
	}
	if fi, _ := os.Stat(l.Path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if warn.Len() > 0 {
		t.Errorf("warning: %s", warn.String())
	}
}

func TestTokenID(t *testing.T) {
	// SHA-256("abc") starts ba7816bf8f01.
	if got := TokenID("abc"); got != "ba7816bf8f01" {
		t.Errorf("TokenID(abc) = %s", got)
	}
	if TokenID("") != "" {
		t.Error("no token, no id")
	}
}

func TestModeRepaired(t *testing.T) {
	l, _ := newLog(t)
	os.MkdirAll(filepath.Dir(l.Path), 0o700)
	os.WriteFile(l.Path, nil, 0o644)
	os.Chmod(l.Path, 0o644)
	l.Write(Entry{Event: EventLogin})
	if fi, _ := os.Stat(l.Path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestRotation(t *testing.T) {
	l, _ := newLog(t)
	l.Write(Entry{Event: EventLogin, Target: "old"})
	if err := os.Truncate(l.Path, MaxSize); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(l.Path+".1", []byte("older still\n"), 0o600)
	l.Write(Entry{Event: EventHandout, Target: "new"})
	cur, _ := os.ReadFile(l.Path)
	if bytes.Count(cur, []byte("\n")) != 1 || !bytes.Contains(cur, []byte(`"new"`)) {
		t.Errorf("current file after rotation: %q", cur)
	}
	old, _ := os.Stat(l.Path + ".1")
	if old == nil || old.Size() != MaxSize {
		t.Errorf("rotated file: %v, want the full old log (one old file kept)", old)
	}
	entries, skipped, err := Read(l.Path, Filter{})
	if err != nil || len(entries) != 2 || entries[0].Target != "old" || entries[1].Target != "new" {
		t.Errorf("Read across rotation: %+v %v", entries, err)
	}
	if skipped == 0 {
		t.Error("the zero bytes of the truncated file are not entries")
	}
}

func TestUnwritableWarnsOnce(t *testing.T) {
	l, warn := newLog(t)
	os.MkdirAll(filepath.Dir(l.Path), 0o700)
	os.Mkdir(l.Path, 0o700) // a directory where the file should be
	l.Write(Entry{Event: EventHandout})
	l.Write(Entry{Event: EventHandout})
	if n := strings.Count(warn.String(), "could not write the audit log"); n != 1 {
		t.Errorf("%d warnings, want 1: %q", n, warn.String())
	}
}

func TestNilLog(t *testing.T) {
	var l *Log
	l.Write(Entry{Event: EventHandout})
	(&Log{}).Write(Entry{Event: EventHandout})
}

func TestConcurrentLinesIntact(t *testing.T) {
	l, _ := newLog(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := &Log{Path: l.Path} // as another process would
			for range 20 {
				other.Write(Entry{Event: EventHandout, Target: strings.Repeat("x", 100*i)})
			}
		}()
	}
	wg.Wait()
	entries, skipped, err := Read(l.Path, Filter{})
	if err != nil || skipped != 0 || len(entries) != 320 {
		t.Errorf("%d entries, %d torn lines, %v", len(entries), skipped, err)
	}
}

func TestFilter(t *testing.T) {
	in := strings.Join([]string{
		`{"time":"2026-11-30T10:00:00Z","event":"handout","target":"a:default"}`,
		`{"time":"2026-11-30T11:30:00Z","event":"handout","target":"b:default"}`,
		`not json`,
		`{"time":"2026-11-30T11:45:00Z","event":"refresh","target":"a:default"}`,
		`{"target":"no event"}`,
	}, "\n")
	got, skipped, err := Parse(strings.NewReader(in), Filter{Target: "a:default", Since: t0.Add(-time.Hour)})
	if err != nil || len(got) != 1 || got[0].Event != "refresh" || skipped != 2 {
		t.Errorf("got %+v, skipped %d, %v", got, skipped, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-30T10:00:00Z","event":"handout","target":"a:default","scopes":["x"],"pid":1}` + "\n"))
	f.Add([]byte("\n\n{}\n" + strings.Repeat("a", maxLine+10)))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, _, err := Parse(bytes.NewReader(b), Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Event == "" || e.Time.IsZero() {
				t.Fatalf("entry without event or time: %+v", e)
			}
		}
	})
}

// BenchmarkWrite is what a hand-out pays for its line (README "Audit
// log": a fraction of a millisecond).
func BenchmarkWrite(b *testing.B) {
	l, _ := newLog(b)
	e := Entry{Event: EventHandout, Verb: "print", Target: "dex:default", Scopes: []string{"openid", "email"}, TokenSHA256: TokenID("x"), Expiry: t0}
	for b.Loop() {
		l.Write(e)
	}
}

// BenchmarkFirstWrite includes reading the process details, which a tok
// process does once.
func BenchmarkFirstWrite(b *testing.B) {
	l, _ := newLog(b)
	for b.Loop() {
		fresh := &Log{Path: l.Path}
		fresh.Write(Entry{Event: EventHandout, Verb: "print", Target: "dex:default"})
	}
}
