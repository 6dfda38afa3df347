// Command bench is `make bench`: it builds tok and a minimal keyring
// reader, starts a private D-Bus session with gnome-keyring-daemon (its own
// HOME, so the developer's keyring is never touched), logs in through the
// real browser flow, once for each store (keyring; file with a key; file
// with a passphrase), to two OpenID providers: an in-process one issuing
// tokens of real size (a 2.5 KB JWT access token, a 1.2 KB ID token, a
// refresh token), and node oidc-provider, not tok's code, issuing JWT
// access tokens (RFC 9068; testdata/realop, left out with a note when it
// is not installed). It prints one table, the providers side by side:
//
//   - the floor: a Go program that reads one keyring item (the login's)
//     with go-keyring and prints it;
//   - for each store, `tok print` of a fresh cached token and `tok exec
//     TARGET -- true`, median and p90, as a ratio to the floor, peak RSS;
//   - for each store, 32 concurrent `tok print --min-ttl` of a token that
//     needs a refresh: token requests at the provider, failures, wall time.
//
// These are benchmarks, not tests: the figures go in the issue note.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/testing/realop"
	"github.com/tok-cli/tok/internal/testing/testop"
)

// sessionEnv marks the copy of bench that runs inside the D-Bus session.
const sessionEnv = "TOK_BENCH_SESSION"

var (
	runs       = flag.Int("n", 50, "runs of each command")
	concurrent = flag.Int("c", 32, "concurrent tok print runs")
	fleet      = flag.Bool("fleet", false, "instead, the etcd store's bench (make bench-fleet)")
	fleetHosts = flag.Int("hosts", 3, "with -fleet: simulated hosts")
	fleetProcs = flag.Int("procs", 4, "with -fleet: refreshing processes per host")
	fleetFor   = flag.Duration("for", 10*time.Second, "with -fleet: how long the fleet refreshes")
	withReal   = flag.Bool("real", true, "also measure node oidc-provider's tokens side by side (testdata/realop; a note when it is not installed)")
	shell      = flag.String("sh", "", "instead of the bench, run this sh command in the logged-in session ($TOK and $FLOOR are the programs), to profile")
	shellStore = flag.String("store", "keyring", "with -sh: the store whose environment the command gets: keyring, \"file, key\" or \"file, passphrase\"")
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "browse" {
		browse(os.Args[len(os.Args)-1])
		return
	}
	flag.Parse()
	var err error
	if os.Getenv(sessionEnv) == "" {
		err = outside()
	} else {
		err = inside(os.Getenv(sessionEnv))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// browse plays the user's browser for `tok login` (TOK_BROWSER), at the
// in-process provider or at node oidc-provider.
func browse(url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if issuer := os.Getenv(realIssuerEnv); issuer != "" && strings.HasPrefix(url, issuer+"/") {
		err = realop.Browse(ctx, url, testop.User)
	} else {
		_, _, err = testop.Browse(ctx, url, testop.User, testop.Password)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "browse:", err)
		os.Exit(1)
	}
}

// outside builds the programs and runs bench again inside a private
// D-Bus session with an unlocked gnome-keyring.
func outside() error {
	for _, bin := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not found: apt-get install -y dbus gnome-keyring", bin)
		}
	}
	dir, err := os.MkdirTemp("", "tok-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for name, pkg := range map[string]string{"tok": "./cmd/tok", "tok-etcd": "./cmd/tok-etcd", "floor": "./internal/tools/bench/floor"} {
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, name), pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// --unlock with a password on stdin creates the login collection and
	// leaves it unlocked, as a desktop login would.
	const script = `printf %s benchpass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"`
	args := append([]string{"--", "sh", "-c", script, "sh", self}, os.Args[1:]...)
	cmd := exec.Command("dbus-run-session", args...)
	cmd.Env = append(isolatedEnv(dir), sessionEnv+"="+dir)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// isolatedEnv is the environment without the user's session, HOME and
// XDG dirs in dir.
func isolatedEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "HOME" || name == "DBUS_SESSION_BUS_ADDRESS" || strings.HasPrefix(name, "XDG_") ||
			strings.HasPrefix(name, "GNOME_KEYRING") || strings.HasPrefix(name, "TOK_") {
			continue
		}
		env = append(env, kv)
	}
	home := filepath.Join(dir, "home")
	env = append(env, "HOME="+home)
	for _, d := range []string{"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"} {
		p := filepath.Join(home, strings.ToLower(d))
		os.MkdirAll(p, 0o700)
		env = append(env, d+"="+p)
	}
	return env
}
