package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testing/testop"
)

const opKey = "op"

// helperCommands are programs the scripts (and tok) run, built into the
// test binary.
var helperCommands = map[string]func(){
	// browse URL plays the user's browser: tok runs it as TOK_BROWSER.
	"browse": func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		user := os.Getenv("BROWSE_USER")
		if user == "" {
			user = testop.User
		}
		status, body, err := testop.Browse(ctx, os.Args[len(os.Args)-1], user, testop.Password)
		if log := os.Getenv("BROWSE_LOG"); log != "" {
			os.WriteFile(log, []byte(fmt.Sprintf("status %d\n%s\nerr %v\n", status, body, err)), 0o600)
		}
		if err != nil {
			os.Exit(1)
		}
	},
	// printenv-child prints the named variables, as a child of tok exec.
	"printenv-child": func() {
		for _, name := range os.Args[1:] {
			fmt.Printf("%s=%s\n", name, os.Getenv(name))
		}
	},
	// exit-with N exits with status N.
	"exit-with": func() {
		n, _ := strconv.Atoi(os.Args[1])
		os.Exit(n)
	},
}

var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"op":                cmdOP,
	"devicelogin":       cmdDeviceLogin,
	"concurrent":        cmdConcurrent,
	"exits":             cmdExits,
	"listen":            cmdListen,
	"subst":             cmdSubst,
	"corrupt":           cmdCorrupt,
	"absent-everywhere": cmdAbsentEverywhere,
}

// absent-everywhere SECRETFILE DIR... fails when the secret held in
// SECRETFILE (one line) appears in any file under the DIRs.
func cmdAbsentEverywhere(ts *testscript.TestScript, neg bool, args []string) {
	secret, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	needle := strings.TrimSpace(string(secret))
	if len(needle) < 8 {
		ts.Fatalf("absent-everywhere: %s holds no secret", args[0])
	}
	for _, dir := range args[1:] {
		filepath.WalkDir(ts.MkAbs(dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err == nil && strings.Contains(string(b), needle) {
				ts.Fatalf("secret found in %s", path)
			}
			return nil
		})
	}
}

// listen FILE holds a port on 127.0.0.1 busy for the rest of the script
// and writes its number over BUSYPORT in FILE.
func cmdListen(ts *testscript.TestScript, neg bool, args []string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	replaceInFile(ts, args[0], "BUSYPORT", port)
}

// subst FILE... writes the provider's port over PORT in each FILE.
func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	u, err := url.Parse(server(ts).Issuer)
	ts.Check(err)
	for _, f := range args {
		replaceInFile(ts, f, "PORT", u.Port())
	}
}

func replaceInFile(ts *testscript.TestScript, name, old, new string) {
	path := ts.MkAbs(name)
	b, err := os.ReadFile(path)
	ts.Check(err)
	ts.Check(os.WriteFile(path, []byte(strings.ReplaceAll(string(b), old, new)), 0o600))
}

// corrupt PROVIDER ACCOUNT overwrites the stored record with garbage,
// encrypted with the script's passphrase as tok would write it.
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	b := store.NewFile(store.FileDir(ts.Getenv("TOK_STATE_DIR")), ts.Getenv("TOK_PASSPHRASE"), false)
	if ts.Getenv("TOK_STORE") == "keyring" {
		b = store.NewKeyring(ts.Getenv("TOK_KEYRING_SERVICE"), store.DefaultKeyringTimeout)
	}
	ts.Check(b.Set(context.Background(), store.TokenKey(args[0], args[1]), []byte("garbage{not json")))
}

// exits N TOK-ARGS... runs tok and requires exit status N; its stdout and
// stderr become the script's, for the usual stdout/stderr checks.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N TOK-ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	cmd := exec.Command(filepath.Join(tokDir, "tok"), args[1:]...)
	cmd.Env = scriptEnv(ts)
	cmd.Dir = ts.Getenv("WORK")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else {
		ts.Check(err)
	}
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), stderr.String())
	if got != want {
		ts.Fatalf("tok %s: exit status %d, want %d\nstderr: %s", strings.Join(args[1:], " "), got, want, stderr.String())
	}
}

func server(ts *testscript.TestScript) *testop.Server {
	return ts.Value(opKey).(*testop.Server)
}

// op count GRANT N | op revocations N | op ttl DURATION | op drop-refresh
func cmdOP(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: op count GRANT N | op revocations N | op drop-refresh")
	}
	srv := server(ts)
	want := func(got int, n string) {
		w, err := strconv.Atoi(n)
		ts.Check(err)
		if (got == w) == neg {
			ts.Fatalf("op: got %d, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], w)
		}
	}
	switch args[0] {
	case "count":
		grant := args[1]
		if grant == "device_code" {
			grant = "urn:ietf:params:oauth:grant-type:device_code"
		}
		want(srv.Count(grant), args[2])
	case "revocations":
		want(srv.Revocations(), args[1])
	case "ttl":
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		srv.SetAccessTTL(d)
	case "drop-refresh":
		srv.DropRefreshTokens()
	default:
		ts.Fatalf("op: unknown subcommand %q", args[0])
	}
}

var codeLine = regexp.MustCompile(`visit (\S+) and enter the code: (\S+)`)

// devicelogin [deny] TOK-ARGS... runs `tok login TOK-ARGS...`, reads the
// verification URI and user code from its stderr as a person would, and
// approves (or denies) it on the provider's device page. Its stderr is
// kept in the script's stderr.
func cmdDeviceLogin(ts *testscript.TestScript, neg bool, args []string) {
	approve := true
	if len(args) > 0 && args[0] == "deny" {
		approve, args = false, args[1:]
	}
	cmd := exec.Command(filepath.Join(tokDir, "tok"), append([]string{"login"}, args...)...)
	cmd.Env = scriptEnv(ts)
	cmd.Dir = ts.Getenv("WORK")
	stderr, err := cmd.StderrPipe()
	ts.Check(err)
	var out strings.Builder
	cmd.Stdout = &out
	ts.Check(cmd.Start())
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	approved := make(chan error, 1)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if m := codeLine.FindStringSubmatch(line); m != nil {
			go func(uri, code string) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				approved <- testop.ApproveDevice(ctx, uri, code, testop.User, testop.Password, approve)
			}(m[1], m[2])
		}
	}
	io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	ts.Logf("tok login stderr:\n%s", log.String())
	fmt.Fprint(ts.Stdout(), out.String())
	fmt.Fprint(ts.Stderr(), log.String())
	select {
	case aerr := <-approved:
		ts.Check(aerr)
	default:
		ts.Fatalf("devicelogin: tok printed no verification URI and code")
	}
	if (err == nil) == neg {
		ts.Fatalf("devicelogin: tok login exit: %v", err)
	}
}

// concurrent N TOK-ARGS... runs N copies of tok at once; all must succeed
// and print the same token.
func cmdConcurrent(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	outs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(filepath.Join(tokDir, "tok"), args[1:]...)
			cmd.Env = scriptEnv(ts)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			outs[i] = string(out)
			if err != nil {
				errs[i] = fmt.Errorf("%v: %s", err, stderr.String())
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			ts.Fatalf("concurrent: run %d failed: %v", i, errs[i])
		}
		if outs[i] != outs[0] || strings.TrimSpace(outs[i]) == "" {
			ts.Fatalf("concurrent: run %d printed a different token", i)
		}
	}
	fmt.Fprint(ts.Stdout(), outs[0])
}

// scriptEnv is the script's environment for a subprocess.
func scriptEnv(ts *testscript.TestScript) []string {
	// testscript does not expose its whole environment; rebuild the
	// variables the scripts use.
	var env []string
	for _, name := range scriptVars {
		env = append(env, name+"="+ts.Getenv(name))
	}
	return env
}

var scriptVars = []string{"PATH", "HOME", "WORK", "TMPDIR", "XDG_CONFIG_HOME", "TOK_STATE_DIR", "TOK_STORE", "TOK_PASSPHRASE",
	"TOK_BROWSER", "TOK_CONFIG", "DBUS_SESSION_BUS_ADDRESS", "TOK_KEYRING_SERVICE", "TOK_MIN_TTL", "CI", "DISPLAY", "SSH_CONNECTION", "ISSUER", "TOK_SVC_CLIENT_SECRET", "TOK_DEX_CLIENT_ID"}
