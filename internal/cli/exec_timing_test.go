package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The timing of `exec --serve` and `exec --token-files` (README "Tokens
// for long-running programs"), in-process against the in-process provider,
// with a fake clock. Steps say when they happen by what the token served
// or written last has left: testop's tokens live about 5 minutes.

func forgetLogin(o *opTok) { o.op.DropRefreshTokens() }

// Each request reads the store through the token manager: a token that
// fell under --min-ttl since the last request is refreshed, once, and
// not before; a refresh the provider rejects is a 503 login_needed
// naming the fix, and the endpoint keeps answering.
func TestServeTiming(t *testing.T) {
	t.Parallel()
	type step struct {
		left      time.Duration // what the last token has left at the request
		before    func(*opTok)
		status    int
		fresh     bool // a new token, else the one served before
		refreshes int  // at the provider, so far
		body      []string
	}
	loginNeeded := []string{`"error":"login_needed"`, "no usable login for dex", "run: tok login dex"}
	for _, tc := range []struct {
		name   string
		minTTL time.Duration
		steps  []step
	}{
		{"refreshed once when under min-ttl between two requests", time.Minute, []step{
			{left: 4 * time.Minute, status: 200},
			{left: 61 * time.Second, status: 200},
			{left: 60 * time.Second, status: 200, fresh: true, refreshes: 1},
			{left: 4 * time.Minute, status: 200, refreshes: 1},
			{left: 61 * time.Second, status: 200, refreshes: 1},
			{left: 59 * time.Second, status: 200, fresh: true, refreshes: 2},
		}},
		{"min-ttl 0: refreshed when expired", 0, []step{
			{left: time.Second, status: 200},
			{left: 0, status: 200, fresh: true, refreshes: 1},
		}},
		{"a login the provider forgot: 503 login_needed with the fix", time.Minute, []step{
			{left: 4 * time.Minute, status: 200},
			{left: 61 * time.Second, before: forgetLogin, status: 200},
			{left: 59 * time.Second, status: 503, refreshes: 1, body: loginNeeded},
			{left: 58 * time.Second, status: 503, refreshes: 2, body: loginNeeded},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOpTok(t)
			o.login()
			a, ets := o.execStart(tc.minTTL, "dex")
			srv, err := a.startServe(t.Context(), ets, tc.minTTL)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			last, expiry := ets[0].Rec.AccessToken, ets[0].Rec.Expiry
			for i, s := range tc.steps {
				if s.before != nil {
					s.before(o)
				}
				o.clock.Set(expiry.Add(-s.left))
				status, doc, body := serveGet(t, srv.URL()+"/token/dex", srv.Secret())
				if status != s.status {
					t.Fatalf("step %d, %v left: status %d, want %d: %s", i, s.left, status, s.status, body)
				}
				if status == 200 {
					fresh := doc.AccessToken != last
					if fresh != s.fresh || !fresh && doc.ExpiresIn != int(s.left/time.Second) || fresh && doc.ExpiresIn < 250 {
						t.Errorf("step %d, %v left: new token %v, expires_in %d; want new %v", i, s.left, fresh, doc.ExpiresIn, s.fresh)
					}
					last, expiry = doc.AccessToken, doc.Expiry
				}
				for _, w := range s.body {
					if !strings.Contains(body, w) {
						t.Errorf("step %d: body %s lacks %q", i, body, w)
					}
				}
				if n := o.refreshes(); n != s.refreshes {
					t.Errorf("step %d, %v left: %d refresh requests, want %d", i, s.left, n, s.refreshes)
				}
			}
			if s := o.stderr.String(); strings.Contains(tc.name, "forgot") &&
				!strings.Contains(s, "tok: token endpoint: no usable login for dex: ") {
				t.Errorf("stderr lacks the endpoint's line:\n%s", s)
			}
		})
	}
}

type servedDoc struct {
	AccessToken string    `json:"access_token"`
	ExpiresIn   int       `json:"expires_in"`
	Expiry      time.Time `json:"expiry"`
}

func serveGet(t *testing.T, url, secret string) (int, servedDoc, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc servedDoc
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	return resp.StatusCode, doc, string(b)
}

// keeperStep: the clock runs until the file's token has left left; by
// then the provider got refreshes refresh requests and the file holds
// "start", the token exec started with, "same" as before, or "new": a
// new token, the one in tok's store.
type keeperStep struct {
	left      time.Duration
	refreshes int
	file      string
}

// rotateTwice: rewritten 15s before the default min-ttl, not before,
// then again for the next token.
var rotateTwice = []keeperStep{
	{76 * time.Second, 0, "start"},
	{75 * time.Second, 1, "new"},
	{76 * time.Second, 1, "same"},
	{75 * time.Second, 2, "new"},
}

// The keeper rewrites the files a margin before the token falls under
// --min-ttl (a quarter of it, 15s for the default 60s), by a rename so
// that a reader gets the old token or the new one whole; when the
// provider refuses, it keeps the old token and retries after 1s, 2s, 4s...
func TestTokenFilesTiming(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		before func(*opTok)
		steps  []keeperStep
		stderr string
	}{
		{"rewritten before min-ttl, and again for the next token", nil,
			append([]keeperStep{{4 * time.Minute, 0, "start"}}, rotateTwice...), ""},
		{"a refusing provider: the old token kept, retries backing off", forgetLogin, []keeperStep{
			{76 * time.Second, 0, "start"},
			{75 * time.Second, 1, "start"},
			{74 * time.Second, 2, "start"},
			{73 * time.Second, 2, "start"},
			{72 * time.Second, 3, "start"},
			{69 * time.Second, 3, "start"},
			{68 * time.Second, 4, "start"},
		}, "tok: token files: no usable login for dex: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOpTok(t)
			o.login()
			checkKeeper(t, o, tc.before, tc.steps, tc.stderr)
		})
	}
}

// Against node oidc-provider's strict rotation: each rewrite spends the
// refresh token once, the grant survives (tok refresh still works after).
func TestTokenFilesRealProvider(t *testing.T) {
	t.Parallel()
	o, failures := newRealOpTok(t)
	o.login()
	checkKeeper(t, o, nil, rotateTwice, "")
	o.run("refresh", "dex")
	if n, bad := o.refreshes(), failures(); n != 3 || bad != 0 {
		t.Errorf("%d refresh requests, %d failed token requests; want 3 and 0", n, bad)
	}
}

// checkKeeper starts `exec dex --token-files` (min-ttl 60s) after before,
// and runs the clock through steps.
func checkKeeper(t *testing.T, o *opTok, before func(*opTok), steps []keeperStep, stderr string) {
	t.Helper()
	const minTTL = time.Minute
	a, ets := o.execStart(minTTL, "dex")
	tf, err := a.startTokenFiles(t.Context(), ets, minTTL)
	if err != nil {
		t.Fatal(err)
	}
	path, dir := tf.Paths()["DEX_TOKEN"], tf.dir.Path
	if before != nil {
		before(o)
	}
	last, expiry := ets[0].Rec.AccessToken, ets[0].Rec.Expiry
	for i, s := range steps {
		old, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		o.clock.RunTo(t, expiry.Add(-s.left))
		got := readFile(t, path)
		if n := o.refreshes(); n != s.refreshes {
			t.Errorf("step %d, %v left: %d refresh requests, want %d", i, s.left, n, s.refreshes)
		}
		switch s.file {
		case "start", "same":
			if want := map[string]string{"start": ets[0].Rec.AccessToken, "same": last}[s.file]; got != want {
				t.Errorf("step %d, %v left: the file changed", i, s.left)
			}
		case "new":
			stored, storedExpiry := o.stored()
			if got == last || got != stored {
				t.Errorf("step %d, %v left: the file holds the old token %v, the stored one %v", i, s.left, got == last, got == stored)
			}
			expiry = storedExpiry
			// Replaced, not rewritten in place: a reader that opened
			// the file before reads the old token whole.
			if b, _ := io.ReadAll(old); string(b) != last {
				t.Errorf("step %d: a reader of the old file got %q", i, b)
			}
		}
		old.Close()
		last = got
		checkPrivate(t, dir, path)
	}
	if s := o.stderr.String(); !strings.Contains(s, stderr) || stderr == "" && s != "" {
		t.Errorf("stderr:\n%swant %q", s, stderr)
	}
	tf.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the directory is still there after Close: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkPrivate fails unless dir is 0700 and holds path alone, 0600: no
// temp file of a rewrite left behind.
func checkPrivate(t *testing.T, dir, path string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || dir+"/"+entries[0].Name() != path {
		t.Errorf("the directory holds %v, want only %s", entries, path)
	}
	di, _ := os.Stat(dir)
	fi, _ := os.Stat(path)
	if di.Mode().Perm() != 0o700 || fi.Mode().Perm() != 0o600 {
		t.Errorf("modes: dir %o, file %o; want 700 and 600", di.Mode().Perm(), fi.Mode().Perm())
	}
}
