package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// run is one finished command: wall time and peak RSS.
type run struct {
	wall   time.Duration
	maxRSS int64 // bytes
	out    string
	stderr string
}

// bench is the session side: tok, floor and the provider.
type bench struct {
	dir string
	op  *testop.Server
	env []string
}

func inside(dir string) error {
	op, err := testop.Start(testop.Options{})
	if err != nil {
		return err
	}
	defer op.Close()
	b := &bench{dir: dir, op: op}
	if err := b.setup(); err != nil {
		return err
	}
	if _, err := b.run("tok", "login", "dex"); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if *shell != "" {
		cmd := exec.Command("/bin/sh", "-c", *shell)
		cmd.Env = append(b.env, "TOK="+filepath.Join(dir, "tok"), "FLOOR="+filepath.Join(dir, "floor"))
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		return cmd.Run()
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
	cfgFile := filepath.Join(b.dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return err
	}
	b.env = append(os.Environ(),
		"TOK_CONFIG="+cfgFile,
		"TOK_STATE_DIR="+filepath.Join(b.dir, "state"),
		"TOK_STORE=keyring",
		"TOK_BROWSER="+self+" browse",
	)
	return nil
}

// run runs one of the built programs and measures it.
func (b *bench) run(name string, args ...string) (run, error) {
	return b.runPath(filepath.Join(b.dir, name), args...)
}

func (b *bench) runPath(path string, args ...string) (run, error) {
	name := filepath.Base(path)
	cmd := exec.Command(path, args...)
	cmd.Env = b.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := run{wall: time.Since(start), out: stdout.String(), stderr: stderr.String()}
	r.maxRSS = maxRSSOf(cmd.ProcessState)
	if err != nil {
		return r, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return r, nil
}

// series runs each command n times, interleaved so that drift in the
// machine's load touches them all alike.
func (b *bench) series(n int, cmds [][]string) ([][]run, error) {
	out := make([][]run, len(cmds))
	for i := -3; i < n; i++ { // 3 warm-up rounds
		for j, c := range cmds {
			r, err := b.run(c[0], c[1:]...)
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

// burst starts n `tok print --min-ttl` at once on a token that needs a
// refresh and counts what the provider saw.
func (b *bench) burst(n int) (requests, failures int, wall time.Duration, err error) {
	b.op.SetAccessTTL(30 * time.Second)
	if _, err := b.run("tok", "refresh", "dex"); err != nil {
		return 0, 0, 0, err
	}
	b.op.SetAccessTTL(5 * time.Minute)
	before := b.op.Count("refresh_token")
	outs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := b.run("tok", "print", "dex", "--min-ttl", "1m")
			outs[i], errs[i] = r.out, err
		}()
	}
	wg.Wait()
	wall = time.Since(start)
	for i := range n {
		if errs[i] != nil || outs[i] != outs[0] {
			failures++
		}
	}
	return b.op.Count("refresh_token") - before, failures, wall, nil
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
func (b *bench) peakRSS(n int, cmds [][]string) ([]int64, bool, error) {
	const gnuTime = "/usr/bin/time"
	_, err := os.Stat(gnuTime)
	exact := err == nil
	out := make([]int64, len(cmds))
	for range n {
		for j, c := range cmds {
			path := filepath.Join(b.dir, c[0])
			if !exact {
				r, err := b.runPath(path, c[1:]...)
				if err != nil {
					return nil, false, err
				}
				out[j] = max(out[j], r.maxRSS)
				continue
			}
			r, err := b.runPath(gnuTime, append([]string{"-f", "maxrss-kb %M", path}, c[1:]...)...)
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
