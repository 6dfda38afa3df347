package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// scriptCommands act on the script's provider and files. Commands that
// run tok are helper programs (tok_commands_test.go), so that testscript
// runs them with the script's whole environment.
var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"op":                cmdOP,
	"listen":            cmdListen,
	"subst":             cmdSubst,
	"corrupt":           cmdCorrupt,
	"expire":            cmdExpire,
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
// encrypted with the script's key (or passphrase) as tok would write it.
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	b, err := scriptBackend(ts.Getenv)
	ts.Check(err)
	ts.Check(b.Set(context.Background(), store.TokenKey(args[0], args[1]), []byte("garbage{not json")))
}

// expire PROVIDER ACCOUNT [LEFT] makes the stored access token one that
// expired a minute ago, or one with LEFT left (30s: under the default
// --min-ttl, still valid), as if the script had waited for it (no test
// sleeps on the wall clock for an expiry).
func cmdExpire(ts *testscript.TestScript, neg bool, args []string) {
	left := -time.Minute
	if len(args) > 2 {
		var err error
		left, err = time.ParseDuration(args[2])
		ts.Check(err)
	}
	ts.Check(expireStored(ts.Getenv, args[0], args[1], left))
}

// expireStored gives the access token stored for PROVIDER:ACCOUNT, in
// the store of the environment getenv reads, left to live from now. The
// record is edited in tok's store only; the provider is not told.
func expireStored(getenv func(string) string, provider, account string, left time.Duration) error {
	b, err := scriptBackend(getenv)
	if err != nil {
		return err
	}
	if c, ok := b.(interface{ Close() error }); ok {
		defer c.Close()
	}
	ctx, key := context.Background(), store.TokenKey(provider, account)
	raw, err := b.Get(ctx, key)
	if err != nil {
		return err
	}
	rec, err := store.UnmarshalRecord(raw)
	if err != nil {
		return err
	}
	rec.Expiry, rec.ExpiryUnknown = time.Now().Add(left), false
	if raw, err = rec.Marshal(); err != nil {
		return err
	}
	return b.Set(ctx, key, raw)
}

// scriptBackend is the store tok uses in the environment getenv reads:
// the keyring, etcd, or the file store, sealed with the key (or
// passphrase) of that environment.
func scriptBackend(getenv func(string) string) (store.Backend, error) {
	var seal store.Sealer
	if k := getenv("TOK_FILE_KEY"); k != "" {
		key, err := store.ParseKey(k)
		if err != nil {
			return nil, err
		}
		seal = key
	}
	switch getenv("TOK_STORE") {
	case "keyring":
		return store.NewKeyring(getenv("TOK_KEYRING_SERVICE"), store.DefaultKeyringTimeout), nil
	case "etcd":
		if seal == nil {
			seal = store.PassphraseSealer{Passphrase: getenv("TOK_PASSPHRASE")}
		}
		return store.NewEtcd(store.EtcdOptions{Endpoints: strings.Split(getenv("TOK_ETCD_ENDPOINTS"), ","),
			Prefix: getenv("TOK_ETCD_PREFIX"), Seal: seal, Environ: os.Environ()})
	}
	return store.NewFileWith(store.FileDir(getenv("TOK_STATE_DIR")), store.FileOptions{Passphrase: getenv("TOK_PASSPHRASE"), Sealer: seal}), nil
}

func server(ts *testscript.TestScript) *testop.Server {
	return ts.Value(opKey).(*testop.Server)
}

// op count GRANT N | op revocations N | op ttl DURATION | op drop-refresh |
// op offline-needs-consent
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
	case "offline-needs-consent":
		srv.SetOfflineAccessNeedsConsent(true)
	default:
		ts.Fatalf("op: unknown subcommand %q", args[0])
	}
}
