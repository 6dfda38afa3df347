package main

// End-to-end tests of headless, remote and CI use (issue 4) that need more
// interplay with the running tok than a script gives: a pseudo-terminal,
// a redirect pasted on stdin while tok waits.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/testing/testop"
)

func init() {
	scriptCommands["optoken"] = cmdOPToken
}

// optoken refresh|json|expired FILE gets tokens for the public client
// straight from the provider (device flow, approved by testop), as another
// machine or a CI secret would hold them, and writes FILE: the bare
// refresh token, a token JSON document, or one whose access token has run
// out. FILE.access holds the access token, for cmp with tok print.
func cmdOPToken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: optoken refresh|json|expired FILE")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := deviceToken(ctx, server(ts).Issuer)
	ts.Check(err)
	var out []byte
	switch args[0] {
	case "refresh":
		out = []byte(tok.RefreshToken + "\n")
	case "json", "expired":
		doc := map[string]any{"access_token": tok.AccessToken, "refresh_token": tok.RefreshToken,
			"token_type": tok.TokenType, "expires_in": tok.ExpiresIn, "scope": "openid offline_access"}
		if args[0] == "expired" {
			delete(doc, "expires_in")
			doc["expiry"] = time.Now().Add(-time.Hour).Format(time.RFC3339)
		}
		out, err = json.MarshalIndent(doc, "", "  ")
		ts.Check(err)
	default:
		ts.Fatalf("optoken: unknown kind %q", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o600))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]+".access"), []byte(tok.AccessToken+"\n"), 0o600))
}

// deviceToken runs the device flow for the public client and approves it
// as the test user.
func deviceToken(ctx context.Context, issuer string) (*oauth2.Token, error) {
	conf := oauth2.Config{ClientID: testop.PublicClientID, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: issuer + "/device_authorization", TokenURL: issuer + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams}}
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return nil, err
	}
	if err := testop.ApproveDevice(ctx, da.VerificationURI, da.UserCode, testop.User, testop.Password, true); err != nil {
		return nil, err
	}
	return conf.DeviceAccessToken(ctx, da)
}

// lineWatcher collects a stream as tok writes it and lets a test wait for
// a pattern to show up.
type lineWatcher struct {
	mu      sync.Mutex
	buf     strings.Builder
	changed chan struct{}
	done    chan struct{}
}

func watchStream(r io.Reader) *lineWatcher {
	w := &lineWatcher{changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			if n > 0 {
				w.mu.Lock()
				w.buf.Write(b[:n])
				w.mu.Unlock()
				select {
				case w.changed <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return w
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor returns the first match of re in the output, or fails once the
// stream ends or after a while.
func (w *lineWatcher) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(w.String()); m != nil {
			return m
		}
		select {
		case <-w.changed:
		case <-w.done:
			if m := re.FindStringSubmatch(w.String()); m != nil {
				return m
			}
			t.Fatalf("tok ended without printing %s; it printed:\n%s", re, w.String())
		case <-deadline:
			t.Fatalf("tok did not print %s in 30s; it printed:\n%s", re, w.String())
		}
	}
}

// finalRedirect plays a browser on another machine: it opens authURL, logs
// in, and returns the address of the last redirect, to tok's loopback
// listener, without following it, as a browser that cannot reach tok would
// show it in its address bar.
func finalRedirect(ctx context.Context, authURL string) (string, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	get := func(method, u string, form url.Values) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, "", err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	resp, page, err := get(http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`name="authRequestID" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("no login form at %s (HTTP %d)", resp.Request.URL, resp.StatusCode)
	}
	login := resp.Request.URL.ResolveReference(&url.URL{Path: "/login"})
	resp, _, err = get(http.MethodPost, login.String(), url.Values{
		"authRequestID": {m[1]}, "username": {testop.User}, "password": {testop.Password}})
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/callback?") {
		return "", fmt.Errorf("login ended with HTTP %d at %s, not a redirect to the callback", resp.StatusCode, loc)
	}
	return loc, nil
}

var authURLLine = regexp.MustCompile(`(?m)^(http://127\.0\.0\.1:\d+/authorize\?\S+)$`)

// pasteLogin runs `tok login ARGS...`, waits for the authorization URL,
// logs in elsewhere and pastes the final redirect on tok's stdin, after
// pasting each of before.
func (h *tokEnv) pasteLogin(t *testing.T, args []string, before ...func(callback string) string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := h.command(ctx, append([]string{"login"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stderr := watchStream(stderrPipe)
	authURL := stderr.waitFor(t, authURLLine)[1]
	callback, err := finalRedirect(ctx, authURL)
	if err != nil {
		t.Fatal(err)
	}
	for i, paste := range before {
		fmt.Fprintln(stdin, paste(callback))
		stderr.waitFor(t, regexp.MustCompile(fmt.Sprintf(`(?s)(warning.*){%d}`, i+1)))
	}
	fmt.Fprintln(stdin, callback)
	<-stderr.done
	err = cmd.Wait()
	stdin.Close()
	return stderr.String(), err
}

func TestNoBrowserPastedRedirect(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withEnv("TOK_BROWSER=false"))
	forged := func(cb string) string {
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		return u.String()
	}
	elsewhere := func(cb string) string { return strings.Replace(cb, "/callback", "/elsewhere", 1) }
	stderr, err := h.pasteLogin(t, []string{"dex", "--no-browser"}, forged, elsewhere)
	if err != nil {
		t.Fatalf("tok login: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"paste the address it ends on here",
		"tok: warning: ignoring the pasted address: the redirect's state does not belong to this login",
		"tok: warning: that is not the redirect address",
		"tok: logged in to dex",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "Opening your browser") {
		t.Error("--no-browser opened a browser")
	}
	if h.op.Count("authorization_code") != 1 {
		t.Errorf("%d code exchanges, want 1", h.op.Count("authorization_code"))
	}
	if out, serr, code := h.result("print", "dex"); code != 0 || len(strings.TrimSpace(out)) < 16 {
		t.Fatalf("print after a pasted login: exit %d\n%s", code, serr)
	}
}

// TestAutoWithoutDeviceEndpoint: flow auto where no browser opens and the
// provider has no device flow falls back to --no-browser: URL printed, the
// redirect pasted.
func TestAutoWithoutDeviceEndpoint(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withEnv("CI=true", "TOK_BROWSER=false"))
	h = h.with(
		"TOK_NODEV_ISSUER="+h.op.Issuer, "TOK_NODEV_AUTH_URL="+h.op.Issuer+"/authorize",
		"TOK_NODEV_TOKEN_URL="+h.op.Issuer+"/oauth/token", "TOK_NODEV_CLIENT_ID="+testop.PublicClientID,
		"TOK_NODEV_SCOPES=openid offline_access")
	stderr, err := h.pasteLogin(t, []string{"nodev"})
	if err != nil {
		t.Fatalf("tok login: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "tok: no browser here (CI is set) and nodev has no device flow: open the URL below on any machine") ||
		!strings.Contains(stderr, "logged in to nodev") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestDeviceLoginPlainStderr: without a terminal the device flow writes
// plain lines only: no escape sequences, no carriage returns.
func TestDeviceLoginPlainStderr(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withEnv("CI=true", "TERM=xterm-256color"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := h.command(ctx, "login", "auto")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stderr := watchStream(pipe)
	m := stderr.waitFor(t, codeLine)
	if err := testop.ApproveDevice(ctx, m[1], m[2], testop.User, testop.Password, true); err != nil {
		t.Fatal(err)
	}
	<-stderr.done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tok login: %v\n%s", err, stderr)
	}
	out := stderr.String()
	for _, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f {
			t.Fatalf("control character %q on a stderr that is no terminal:\n%q", r, out)
		}
	}
	if strings.ContainsAny(out, "▀▄█") {
		t.Errorf("QR code or block letters on a stderr that is no terminal:\n%s", out)
	}
	if !strings.Contains(out, "using the device flow (CI is set)") || !strings.Contains(out, "logged in to auto") {
		t.Errorf("stderr:\n%s", out)
	}
}

// TestKeyringRemedyNoBus: with no D-Bus at all, the keyring error names
// the remedies for this host on one line, exit 5.
func TestKeyringRemedyNoBus(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil || runtime.GOOS != "linux" {
		t.Skip("this host has a session bus at the standard place, or is not linux")
	}
	h := newTokEnv(t, withEnv("TOK_STORE=keyring"))
	h.unsetenv("DBUS_SESSION_BUS_ADDRESS")
	_, stderr, code := h.result("print", "dex")
	if code != 5 {
		t.Fatalf("exit %d, want 5: %s", code, stderr)
	}
	want := "tok: the os keyring is not reachable: no d-bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); " +
		"use the file store: TOK_STORE=file with TOK_FILE_KEY (tok keygen) or TOK_PASSPHRASE, " +
		"or start a Secret Service: dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock --components=secrets; tok ...'\n"
	if stderr != want {
		t.Errorf("stderr =\n%q\nwant\n%q", stderr, want)
	}
}
