package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tok-cli/tok/internal/testing/testetcd"
)

// fleetReport is `make bench-fleet` (README "A store shared by a fleet"):
// tok print from the etcd store against the keyring floor, the keyring
// and the file store; then the refresh rate a fleet sustains, hosts x
// processes forcing refreshes for fleetFor, on one target and on four.
func (b *bench) fleetReport() error {
	if _, err := exec.LookPath("etcd"); err != nil {
		return fmt.Errorf("etcd not found: apt-get install -y etcd-server")
	}
	cluster, err := testetcd.Start(testetcd.Options{Dir: filepath.Join(b.dir, "etcd")})
	if err != nil {
		return err
	}
	defer cluster.Close()
	key, err := b.runEnv(b.env, "tok", "keygen")
	if err != nil {
		return err
	}
	secret := "TOK_FILE_KEY=" + strings.TrimSpace(key.out)
	fileEnv := b.storeEnv("file", "file-state", secret)
	if _, err := b.runEnv(fileEnv, "tok", "login", "dex"); err != nil {
		return err
	}
	etcdEnv := func(state, prefix, secret string) []string {
		return append(b.storeEnv("etcd", state, secret),
			"TOK_ETCD_ENDPOINTS="+strings.Join(cluster.Endpoints, ","), "TOK_ETCD_PREFIX="+prefix)
	}
	var hosts [][]string
	for i := range *fleetHosts {
		hosts = append(hosts, etcdEnv(fmt.Sprintf("host%d-state", i), "/tok-bench/", secret))
	}
	for _, target := range fleetTargets {
		if _, err := b.runEnv(hosts[0], "tok", "login", target); err != nil {
			return err
		}
	}
	slowEnv := etcdEnv("passphrase-state", "/tok-bench-passphrase/", "TOK_PASSPHRASE=bench passphrase")
	if _, err := b.runEnv(slowEnv, "tok", "login", "dex"); err != nil {
		return err
	}

	floor := b.cmd(b.env, "floor", "tok", "token:dex:default")
	cmds := []benchCmd{floor, b.cmd(b.env, "tok", "print", "dex"), b.cmd(fileEnv, "tok", "print", "dex"),
		b.cmd(hosts[0], "tok", "print", "dex"), b.cmd(slowEnv, "tok", "print", "dex"), b.cmd(hosts[0], "tok", "version")}
	rs, err := b.seriesOf(*runs, cmds)
	if err != nil {
		return err
	}
	w := os.Stdout
	fmt.Fprintf(w, "tok bench-fleet: %d runs each; etcd: three %s members on 127.0.0.1; records sealed to a file-store key (TOK_FILE_KEY) unless said\n\n", *runs, etcdVersion())
	fmt.Fprintf(w, "%-40s %10s %10s\n", "", "median", "p90")
	fl := statsOf(rs[0])
	for i, name := range []string{"floor: go-keyring Get + print", "tok print dex, keyring", "tok print dex, file store", "tok print dex, etcd store",
		"tok print dex, etcd store, passphrase", "tok version (start-up alone)"} {
		s := statsOf(rs[i])
		fmt.Fprintf(w, "%-40s %10s %10s  %.2fx floor\n", name, ms(s.median), ms(s.p90), ratio(s, fl))
	}
	for _, targets := range [][]string{fleetTargets[:1], fleetTargets} {
		n, fails, reqs, err := b.sustain(hosts, targets)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%d hosts x %d processes forcing `tok refresh` on %d target(s) for %s:\n", len(hosts), *fleetProcs, len(targets), *fleetFor)
		fmt.Fprintf(w, "  refreshes stored:               %d (%.1f/s)\n", n, float64(n)/fleetFor.Seconds())
		fmt.Fprintf(w, "  token requests at the provider: %d (target: one per refresh) %s\n", reqs, verdict(reqs == n))
		fmt.Fprintf(w, "  failures:                       %d %s\n", fails, verdict(fails == 0))
	}
	return nil
}

// fleetTargets are the logins the rate is measured on.
var fleetTargets = []string{"dex", "dex:b", "dex:c", "dex:d"}

// storeEnv is b.env with its own state dir and store, sealed with secret
// (TOK_FILE_KEY=... or TOK_PASSPHRASE=...).
func (b *bench) storeEnv(store, state, secret string) []string {
	return append(append([]string{}, b.env...),
		"TOK_STORE="+store, "TOK_STATE_DIR="+filepath.Join(b.dir, state), secret)
}

// sustain runs every host's processes in a loop of `tok refresh TARGET`
// (round robin over targets) for fleetFor, and counts refreshes, failures
// and the provider's token requests.
func (b *bench) sustain(hosts [][]string, targets []string) (done, failed, requests int, err error) {
	before := b.op.Count("refresh_token")
	var ok, bad atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(*fleetFor)
	var wg sync.WaitGroup
	for h, env := range hosts {
		for p := range *fleetProcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := h + p; time.Now().Before(stop); i++ {
					if _, err := b.runEnv(env, "tok", "refresh", targets[i%len(targets)]); err != nil {
						bad.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
						continue
					}
					ok.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	if e, _ := firstErr.Load().(string); e != "" {
		fmt.Fprintln(os.Stderr, "bench: first failure:", e)
	}
	return int(ok.Load()), int(bad.Load()), b.op.Count("refresh_token") - before, nil
}

// benchCmd is a program of the bench with its environment.
type benchCmd struct {
	env  []string
	args []string
}

func (b *bench) cmd(env []string, args ...string) benchCmd { return benchCmd{env, args} }

// seriesOf is series with an environment per command.
func (b *bench) seriesOf(n int, cmds []benchCmd) ([][]run, error) {
	out := make([][]run, len(cmds))
	for i := -3; i < n; i++ {
		for j, c := range cmds {
			r, err := b.runEnv(c.env, c.args[0], c.args[1:]...)
			if err != nil {
				return nil, err
			}
			if i >= 0 {
				out[j] = append(out[j], r)
			}
		}
	}
	return out, nil
}

func etcdVersion() string {
	out, err := exec.Command("etcd", "--version").Output()
	if err != nil {
		return "etcd"
	}
	first, _, _ := bytes.Cut(out, []byte("\n"))
	return strings.TrimSpace(strings.TrimPrefix(string(first), "etcd Version: ")) + " etcd"
}
