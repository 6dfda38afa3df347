package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testing/testop"
)

// README "Promises": no secret (access token, refresh token, code,
// verifier, client secret) appears in any output other than the one
// print/exec asked for, nor in verbose logs, nor in error messages, nor in
// any argv. TestNoSecretLeaks runs every command, error paths included,
// with -v against the in-process provider, which records every secret
// that crosses it (testop.Server.Secrets), and then looks for each of them
// in everything tok left behind.

const (
	leakPassphrase = "leak-canary-passphrase-7b3e"
	leakRecEnv     = "TOK_LEAK_REC" // where the recorder helpers write
)

func init() {
	// leak-browser URL records its argv and environment, then logs in
	// through the provider as the user's browser would.
	helperCommands["leak-browser"] = func() {
		recordProcess("browser")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, _, err := testop.Browse(ctx, os.Args[len(os.Args)-1], testop.User, testop.Password); err != nil {
			fmt.Fprintln(os.Stderr, "leak-browser:", err)
			os.Exit(1)
		}
	}
	// leak-child ARGS... records its argv and environment as a child of
	// tok exec.
	helperCommands["leak-child"] = func() { recordProcess("child") }
}

// procRecord is what a process tok started saw of the world.
type procRecord struct {
	Kind string   `json:"kind"`
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	// ParentCore is the core file size line of the parent's (tok's)
	// /proc/PID/limits, where there is one.
	ParentCore string `json:"parent_core"`
}

func recordProcess(kind string) {
	rec := procRecord{Kind: kind, Argv: os.Args, Env: os.Environ()}
	if limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", os.Getppid())); err == nil {
		for _, line := range strings.Split(string(limits), "\n") {
			if strings.HasPrefix(line, "Max core file size") {
				rec.ParentCore = line
			}
		}
	}
	b, _ := json.Marshal(rec)
	dir := os.Getenv(leakRecEnv)
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.json", kind, os.Getpid())), b, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

// leakRun is one tok command and what it printed.
type leakRun struct {
	args           []string
	stdout, stderr string
	code           int
	// tokenOut: stdout is the token print asked for.
	tokenOut bool
}

// leakEnv is a tokEnv that keeps every run of tok for the scans: its
// config, which holds the client secret the user gave, lives outside
// HOME, since every file under HOME is scanned, and its processes record
// what they saw in rec.
type leakEnv struct {
	*tokEnv
	rec   string
	runs  []*leakRun
	kinds map[string]int // processes recorded by check
	// untraced: no run is expected to make a request (tok stops before
	// any when the store is unreachable), so no -v trace line is due.
	untraced bool
}

func newLeakEnv(t *testing.T) *leakEnv {
	t.Helper()
	e := newTokEnv(t, withConfigOutsideHome(leakConfig),
		withPassphrase(leakPassphrase),
		withEnv("TOK_STORE=file", "TOK_BROWSER=leak-browser"))
	le := &leakEnv{tokEnv: e, rec: filepath.Join(e.dir, "rec")}
	e.setenv("XDG_STATE_HOME=" + filepath.Join(e.home, ".local", "state"))
	e.setenv("XDG_CACHE_HOME=" + filepath.Join(e.home, ".cache"))
	e.setenv(leakRecEnv + "=" + le.rec)
	e.setenv("DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(e.dir, "no-bus"))
	for _, d := range []string{e.home, le.rec} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	le.write("etc/bad-secret.yaml", strings.ReplaceAll(leakBadConfig, "$ISSUER", e.op.Issuer))
	return le
}

const leakConfig = `providers:
  dex:
    issuer: $ISSUER
    client_id: tok-public
    scopes: [openid, offline_access, email]
    flow: browser
  conf:
    issuer: $ISSUER
    client_id: tok-confidential
    client_secret: tok-secret
    scopes: [openid, offline_access]
    flow: browser
    env: [CONF_TOKEN, CONF_TOO]
  svc:
    issuer: $ISSUER
    client_id: tok-confidential
    client_secret: tok-secret
    flow: client_credentials
`

// leakBadConfig has the client secret where a string should be: the error
// must name the key, not quote the value.
const leakBadConfig = `providers:
  conf:
    issuer: $ISSUER
    client_id: tok-confidential
    client_secret: [tok-secret]
`

func (e *leakEnv) write(rel, content string) {
	if err := os.WriteFile(filepath.Join(e.dir, rel), []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// tok runs tok -v ARGS and requires exit status want. onStderr, when set,
// sees each stderr line as it comes (for the device flow).
func (e *leakEnv) tok(want int, onStderr func(string), args ...string) *leakRun {
	e.t.Helper()
	r := &leakRun{args: args}
	cmd := e.tokEnv.tok(append([]string{"-v"}, args...)...)
	if runtime.GOOS == "linux" {
		// Start tok with core dumps allowed, so that the check of
		// cli.harden (via the browser's view of its parent) means
		// something where the default soft limit is already 0.
		cmd = exec.Command("/bin/sh", append([]string{"-c", `ulimit -S -c unlimited 2>/dev/null; exec "$0" "$@"`, cmd.Path}, cmd.Args[1:]...)...)
		cmd.Env, cmd.Dir = e.env, e.dir
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	var stderr strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if onStderr != nil {
				onStderr(sc.Text())
			}
		}
		io.Copy(io.Discard, pr)
	}()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	err := cmd.Wait()
	pw.Close()
	wg.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if r.code != want {
		e.t.Fatalf("tok %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stderr)
	}
	e.runs = append(e.runs, r)
	return r
}

func (e *leakEnv) print(args ...string) *leakRun {
	r := e.tok(0, nil, append([]string{"print"}, args...)...)
	r.tokenOut = true
	return r
}

func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	e := newLeakEnv(t)

	e.tok(0, nil, "providers")
	e.tok(0, nil, "providers", "--json")
	e.tok(0, nil, "login", "dex")
	e.tok(0, nil, "login", "conf")
	e.tok(0, nil, "login", "svc")
	var approve sync.Once
	approved := make(chan error, 1)
	e.tok(0, func(line string) {
		if m := codeLine.FindStringSubmatch(line); m != nil {
			approve.Do(func() {
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					approved <- testop.ApproveDevice(ctx, m[1], m[2], testop.User, testop.Password, true)
				}()
			})
		}
	}, "login", "dex:dev", "--device")
	if err := <-approved; err != nil {
		t.Fatal(err)
	}

	for _, f := range []string{"token", "header", "json"} {
		e.print("dex", "--format", f)
		e.print("conf", "--format", f)
	}
	e.print("svc")
	e.print("dex:dev")
	tokRun := e.tok(0, nil, "token", "conf")
	tokRun.tokenOut = true
	e.tok(0, nil, "status")
	e.tok(0, nil, "status", "--json")
	e.tok(0, nil, "status", "conf")
	e.tok(0, nil, "refresh", "dex")
	e.tok(0, nil, "refresh", "conf")
	e.tok(0, nil, "refresh", "svc")
	e.print("dex", "--min-ttl", "10m")
	e.print("conf", "--min-ttl", "10m", "--format", "json")
	e.tok(0, nil, "exec", "dex", "conf", "--env", "ALSO=svc", "--", "leak-child", "arg")
	// Narrowed tokens, a run's own revoked token, the audit log.
	e.print("dex", "--scope", "openid")
	e.print("conf", "--scope", "openid", "--format", "json")
	e.tok(0, nil, "exec", "dex", "--scope", "openid", "--revoke-on-exit", "--", "leak-child", "narrowed")
	e.tok(0, nil, "audit")
	e.tok(0, nil, "audit", "--json")
	e.tok(0, nil, "profiles")
	e.tok(2, nil, "print", "dex", "--scope", "admin")

	// Error paths.
	e.tok(2, nil, "print", "nosuch")
	e.tok(2, nil, "--config", filepath.Join(e.dir, "etc", "bad-secret.yaml"), "print", "conf")
	e.tok(2, nil, "print", "conf", "--format", "yaml")
	e.tok(4, nil, "print", "dex:nobody")
	e.op.DropRefreshTokens()
	e.tok(4, nil, "print", "dex", "--min-ttl", "10m")
	e.tok(4, nil, "refresh", "conf")
	e.tok(4, nil, "exec", "dex:dev", "--min-ttl", "10m", "--", "leak-child")
	e.tok(0, nil, "logout", "conf")
	e.tok(0, nil, "logout", "dex:dev")

	e.checkStdout()
	e.checkStateFiles()
	secrets := e.check()
	t.Logf("%d secrets, %d commands", len(secrets), len(e.runs))
	if len(secrets) < 20 {
		t.Fatalf("the provider recorded only %d secrets: the leak test is not seeing the flows", len(secrets))
	}
	// The scan must be able to see a token: the file store holds one,
	// encrypted, that decrypts to a record with it.
	fb := store.NewFile(store.FileDir(e.state), leakPassphrase, false)
	raw, err := fb.Get(context.Background(), store.TokenKey("dex", "default"))
	if err != nil || !containsAny(string(raw), secrets) {
		t.Errorf("the file store's decrypted record holds no known token (err %v): the scan proves nothing", err)
	}
	// The audit log is in the state dir the scan walks: it must be there,
	// with hand-outs and refusals in it, for the scan to mean something.
	audit, err := os.ReadFile(filepath.Join(e.state, "audit.jsonl"))
	if err != nil || !strings.Contains(string(audit), `"event":"handout"`) || !strings.Contains(string(audit), `"event":"refusal"`) {
		t.Errorf("audit log missing or without hand-outs and refusals (err %v): the scan did not cover it", err)
	}
	if e.kinds["browser"] != 2 || e.kinds["child"] != 2 {
		t.Errorf("recorded processes %v, want 2 browsers and 2 exec children", e.kinds)
	}
}

func containsAny(s string, list []string) bool {
	for _, x := range list {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// check scans everything tok printed, wrote and started for every secret
// the provider saw, and returns those secrets.
func (e *leakEnv) check() []string {
	t := e.t
	t.Helper()
	secrets := append(e.op.Secrets(), testop.ConfidentialClientSecret, leakPassphrase)
	find := func(s string) string {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				return sec
			}
		}
		return ""
	}
	traced := false
	for _, r := range e.runs {
		what := "tok " + strings.Join(r.args, " ")
		if strings.Contains(r.stderr, "tok: http: POST ") {
			traced = true
		}
		if s := find(r.stderr); s != "" {
			t.Errorf("%s: stderr holds secret %.12s...:\n%s", what, s, r.stderr)
		}
		out := r.stdout
		if r.tokenOut {
			tok := printedToken(t, what, out)
			if !contains(secrets, tok) {
				t.Errorf("%s: printed %.12s..., not a token the provider issued", what, tok)
			}
			out = strings.ReplaceAll(out, tok, "")
		}
		if s := find(out); s != "" {
			t.Errorf("%s: stdout holds secret %.12s...:\n%s", what, s, r.stdout)
		}
	}
	if !traced && !e.untraced {
		t.Error("no -v trace line seen: the verbose log was not tested")
	}

	// Every file tok may have written.
	for _, dir := range []string{e.home, e.state, e.tmp} {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err == nil {
				if s := find(string(b)); s != "" {
					t.Errorf("file %s holds secret %.12s...", path, s)
				}
			}
			return nil
		})
	}
	// Every process tok started: argv never, environment only where asked.
	recs, _ := filepath.Glob(filepath.Join(e.rec, "*.json"))
	e.kinds = map[string]int{}
	for _, f := range recs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p procRecord
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		e.kinds[p.Kind]++
		if s := find(strings.Join(p.Argv, "\x00")); s != "" {
			t.Errorf("%s argv %q holds secret %.12s...", p.Kind, p.Argv, s)
		}
		tokenVars := 0
		for _, kv := range p.Env {
			name, val, _ := strings.Cut(kv, "=")
			s := find(kv)
			switch {
			case s == "":
			case p.Kind == "child" && (name == "DEX_TOKEN" || name == "CONF_TOKEN" || name == "CONF_TOO" || name == "ALSO") && val == s:
				tokenVars++
			default:
				t.Errorf("%s environment %s holds secret %.12s...", p.Kind, name, s)
			}
		}
		want := 4
		if slices.Contains(p.Argv, "narrowed") {
			want = 1
		}
		if p.Kind == "child" && tokenVars != want {
			t.Errorf("exec child %v got %d token variables, want %d: %v", p.Argv, tokenVars, want, p.Env)
		}
		// On linux tok holds tokens without core dumps (cli.harden): its
		// soft limit, as the child sees it in /proc, is 0.
		if runtime.GOOS == "linux" && p.ParentCore != "" {
			if f := strings.Fields(strings.TrimPrefix(p.ParentCore, "Max core file size")); len(f) == 0 || f[0] != "0" {
				t.Errorf("tok, parent of the %s, allows core dumps: %q", p.Kind, p.ParentCore)
			}
		}
		if p.Kind == "browser" {
			if u := p.Argv[len(p.Argv)-1]; !strings.Contains(u, "code_challenge=") || !strings.Contains(u, "state=") {
				t.Errorf("browser URL %q lacks PKCE or state", u)
			}
		}
	}
	return secrets
}

// printedToken extracts the token from print's output in any format.
func printedToken(t *testing.T, what, out string) string {
	t.Helper()
	s := strings.TrimSpace(out)
	switch {
	case strings.HasPrefix(s, "{"):
		var doc struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return doc.AccessToken
	case strings.HasPrefix(s, "Authorization: Bearer "):
		return strings.TrimPrefix(s, "Authorization: Bearer ")
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkStdout holds tok to the first of the README's "Promises": stdout is
// data only.
// Commands that produce no data print nothing there; nothing meant for a
// person (the "tok: ..." lines, the -v trace, URLs) ever lands there.
func (e *leakEnv) checkStdout() {
	for _, r := range e.runs {
		what := "tok " + strings.Join(r.args, " ")
		verb := r.args[0]
		if strings.HasPrefix(verb, "--") {
			verb = r.args[2]
		}
		switch verb {
		case "login", "refresh", "logout":
			if r.stdout != "" {
				e.t.Errorf("%s: stdout %q, want nothing", what, r.stdout)
			}
		case "print", "token":
			if r.code == 0 && strings.Count(r.stdout, "\n") != 1 && !strings.HasPrefix(r.stdout, "{") {
				e.t.Errorf("%s: stdout %q, want one line", what, r.stdout)
			}
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "tok:") || strings.Contains(line, "code_challenge=") || strings.Contains(line, "enter the code") {
				e.t.Errorf("%s: stdout line %q is for a person, not data", what, line)
			}
		}
		if r.code != 0 && r.stdout != "" {
			e.t.Errorf("%s failed (exit %d) yet printed %q on stdout", what, r.code, r.stdout)
		}
	}
}

// checkStateFiles holds the state dir to README "Promises": files 0600 in 0700
// directories, and no half-written temporary file left behind.
func (e *leakEnv) checkStateFiles() {
	filepath.WalkDir(e.state, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			e.t.Error(err)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			e.t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		if strings.HasPrefix(d.Name(), ".tmp-") || strings.HasPrefix(d.Name(), ".discovery-") {
			e.t.Errorf("temporary file %s left behind", path)
		}
		return nil
	})
}
