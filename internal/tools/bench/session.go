package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/testing/realop"
	"github.com/tok-cli/tok/internal/testing/testop"
)

// run is one finished command: wall time and peak RSS.
type run struct {
	wall   time.Duration
	maxRSS int64 // bytes
	out    string
	stderr string
}

// bench is the session side: tok, floor, the providers, and one tok
// set-up per store.
type bench struct {
	dir    string
	op     *testop.Server // the in-process provider, "dex"
	ops    []*benchOP     // dex, then node oidc-provider ("real") when installed
	real   string         // node oidc-provider's issuer, "" without it
	stores []*storeSetup
	env    []string // the keyring store's, for bench-fleet
}

// benchOP is a provider whose tokens the bench measures: its name in
// tok's config and what the burst needs of it.
type benchOP struct {
	name, label string
	setTTL      func(time.Duration) error // lifetime of the access tokens issued from now on
	refreshes   func() (int, error)       // refresh requests served so far
}

// storeSetup is tok's environment for one store, with its own state dir
// and, for the keyring, its own service.
type storeSetup struct {
	name string
	env  []string
}

// cmd is a command of the series: a program of the bench dir, run with a
// store's environment.
type cmd struct {
	store *storeSetup
	args  []string // args[0] is "tok" or "floor"
}

// realIssuerEnv tells `bench browse` which URLs are node
// oidc-provider's.
const realIssuerEnv = "BENCH_REAL_ISSUER"

func inside(dir string) error {
	op, err := testop.Start(testop.Options{RealSizeTokens: true})
	if err != nil {
		return err
	}
	defer op.Close()
	b := &bench{dir: dir, op: op}
	b.ops = []*benchOP{{
		name:      "dex",
		label:     "in-process zitadel op",
		setTTL:    func(d time.Duration) error { op.SetAccessTTL(d); return nil },
		refreshes: func() (int, error) { return op.Count("refresh_token"), nil },
	}}
	if *withReal && !*fleet {
		// JWT access tokens (RFC 9068), as providers issue them.
		node, err := realop.Start("server.mjs", "ACCESS_TOKEN_FORMAT=jwt")
		switch {
		case errors.Is(err, realop.ErrMissing):
			fmt.Fprintf(os.Stderr, "bench: %v; measuring the in-process provider's tokens only\n", err)
		case err != nil:
			return err
		default:
			defer node.Close()
			b.ops = append(b.ops, &benchOP{
				name:   "real",
				label:  "node oidc-provider " + realop.Version(),
				setTTL: node.SetAccessTTL,
				refreshes: func() (int, error) {
					c, err := node.Counts()
					return c["refresh_token"], err
				},
			})
			b.real = node.Issuer
		}
	}
	if err := b.setup(); err != nil {
		return err
	}
	for _, s := range b.stores {
		for _, p := range b.ops {
			if _, err := b.run(cmd{s, []string{"tok", "login", p.name}}); err != nil {
				return fmt.Errorf("login to %s (%s): %w", p.label, s.name, err)
			}
		}
	}
	if *shell != "" {
		c := exec.Command("/bin/sh", "-c", *shell)
		c.Env = append(b.store(*shellStore).env, "TOK="+filepath.Join(dir, "tok"), "FLOOR="+filepath.Join(dir, "floor"))
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
		return c.Run()
	}
	if *fleet {
		return b.fleetReport()
	}
	return b.report()
}

func (b *bench) setup() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf("providers:\n  dex:\n    issuer: %s\n    client_id: %s\n    scopes: [openid, offline_access, email]\n    flow: browser\n",
		b.op.Issuer, testop.PublicClientID)
	if b.real != "" {
		// oidc-provider issues a refresh token only on consent.
		cfg += fmt.Sprintf("  real:\n    issuer: %s\n    client_id: tok-public\n    scopes: [openid, offline_access, email, api:read]\n    flow: browser\n    auth_params: {prompt: consent}\n", b.real)
	}
	cfgFile := filepath.Join(b.dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return err
	}
	key, err := exec.Command(filepath.Join(b.dir, "tok"), "keygen").Output()
	if err != nil {
		return fmt.Errorf("tok keygen: %w", err)
	}
	base := append(os.Environ(), "TOK_CONFIG="+cfgFile, "TOK_BROWSER="+self+" browse", realIssuerEnv+"="+b.real)
	for _, s := range []struct{ name, env string }{
		{"keyring", "TOK_STORE=keyring"},
		{"file, key", "TOK_STORE=file\x00TOK_FILE_KEY=" + strings.TrimSpace(string(key))},
		{"file, passphrase", "TOK_STORE=file\x00TOK_PASSPHRASE=correct horse battery staple"},
	} {
		state := filepath.Join(b.dir, "state-"+strings.NewReplacer(",", "", " ", "-").Replace(s.name))
		env := append(slices.Clone(base), "TOK_STATE_DIR="+state)
		b.stores = append(b.stores, &storeSetup{name: s.name, env: append(env, strings.Split(s.env, "\x00")...)})
	}
	b.env = b.stores[0].env
	return nil
}

func (b *bench) store(name string) *storeSetup {
	for _, s := range b.stores {
		if s.name == name {
			return s
		}
	}
	return b.stores[0]
}

// runEnv runs one of the built programs with env.
func (b *bench) runEnv(env []string, name string, args ...string) (run, error) {
	return b.runPath(env, filepath.Join(b.dir, name), args...)
}

// run runs one of the built programs and measures it.
func (b *bench) run(c cmd) (run, error) {
	return b.runPath(c.store.env, filepath.Join(b.dir, c.args[0]), c.args[1:]...)
}

func (b *bench) runPath(env []string, path string, args ...string) (run, error) {
	name := filepath.Base(path)
	c := exec.Command(path, args...)
	c.Env = env
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	err := c.Run()
	r := run{wall: time.Since(start), out: stdout.String(), stderr: stderr.String()}
	r.maxRSS = maxRSSOf(c.ProcessState)
	if err != nil {
		return r, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return r, nil
}

// series runs each command n times, interleaved so that drift in the
// machine's load touches them all alike.
func (b *bench) series(n int, cmds []cmd) ([][]run, error) {
	out := make([][]run, len(cmds))
	for i := -3; i < n; i++ { // 3 warm-up rounds
		for j, c := range cmds {
			r, err := b.run(c)
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

// burstResult is what n concurrent prints of a token in need of a refresh
// did.
type burstResult struct {
	requests, failures int
	wall               time.Duration
}

// burst starts n `tok print --min-ttl 1m` at once on a login of p whose
// token has 30s left and counts what the provider saw.
func (b *bench) burst(s *storeSetup, p *benchOP, n int) (burstResult, error) {
	if err := p.setTTL(30 * time.Second); err != nil {
		return burstResult{}, err
	}
	if _, err := b.run(cmd{s, []string{"tok", "refresh", p.name}}); err != nil {
		return burstResult{}, err
	}
	if err := p.setTTL(5 * time.Minute); err != nil {
		return burstResult{}, err
	}
	before, err := p.refreshes()
	if err != nil {
		return burstResult{}, err
	}
	outs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := b.run(cmd{s, []string{"tok", "print", p.name, "--min-ttl", "1m"}})
			outs[i], errs[i] = r.out, err
		}()
	}
	wg.Wait()
	res := burstResult{wall: time.Since(start)}
	for i := range n {
		if errs[i] != nil || outs[i] != outs[0] {
			res.failures++
		}
	}
	after, err := p.refreshes()
	res.requests = after - before
	return res, err
}

type stats struct{ median, p90 time.Duration }

func statsOf(rs []run) stats {
	d := make([]time.Duration, len(rs))
	for i, r := range rs {
		d[i] = r.wall
	}
	slices.Sort(d)
	return stats{median: d[len(d)/2], p90: d[(len(d)*9)/10]}
}

// peakRSS is the largest RSS each command reaches over n runs, and
// whether the figure is exact. A child that Go starts shares its parent's
// memory until it execs, and Linux counts that towards the child's peak
// RSS; GNU time forks for real from a small process and reports the
// child's own. Without it, the figures are upper bounds.
func (b *bench) peakRSS(n int, cmds []cmd) ([]int64, bool, error) {
	const gnuTime = "/usr/bin/time"
	_, err := os.Stat(gnuTime)
	exact := err == nil
	out := make([]int64, len(cmds))
	for range n {
		for j, c := range cmds {
			path := filepath.Join(b.dir, c.args[0])
			if !exact {
				r, err := b.runPath(c.store.env, path, c.args[1:]...)
				if err != nil {
					return nil, false, err
				}
				out[j] = max(out[j], r.maxRSS)
				continue
			}
			r, err := b.runPath(c.store.env, gnuTime, append([]string{"-f", "maxrss-kb %M", path}, c.args[1:]...)...)
			if err != nil {
				return nil, false, err
			}
			var kb int64
			if i := strings.LastIndex(r.stderr, "maxrss-kb "); i >= 0 {
				fmt.Sscan(r.stderr[i+len("maxrss-kb "):], &kb)
			}
			out[j] = max(out[j], kb*1024)
		}
	}
	return out, exact, nil
}
