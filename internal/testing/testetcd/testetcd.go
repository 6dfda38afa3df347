// Package testetcd runs a real etcd cluster for tok's tests and benchmark:
// three members of Debian's etcd-server (the etcd binary on PATH) on
// 127.0.0.1, each in its own data directory, which a test can kill -9 and
// start again. With TLS it makes a CA, a server certificate for 127.0.0.1
// and a client certificate, and the members require client certificates.
package testetcd

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Members is the size of every cluster: the smallest that survives the
// loss of one member.
const Members = 3

// Options tune Start.
type Options struct {
	// TLS serves clients over TLS with client certificates (see Certs).
	TLS bool
	// Dir holds the members' data and logs, and the certificates.
	Dir string
}

// Cluster is a running cluster.
type Cluster struct {
	// Endpoints are the members' client URLs.
	Endpoints []string
	// Certs are the files of a TLS cluster; nil without TLS.
	Certs *Certs

	opts    Options
	members []*member
}

type member struct {
	name, client, peer, dir string
	cmd                     *exec.Cmd
}

// Need skips t when etcd is not installed, but fails it under CI, which
// installs it (.ci/run).
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("etcd"); err != nil {
		const msg = "skipping the etcd test: etcd is not installed (apt-get install -y etcd-server)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// ForTest starts a cluster for t and stops it when t ends.
func ForTest(t testing.TB, o Options) *Cluster {
	t.Helper()
	Need(t)
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	c, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Start runs a new cluster and waits until it answers.
func Start(o Options) (*Cluster, error) {
	c := &Cluster{opts: o}
	if o.TLS {
		certs, err := MakeCerts(filepath.Join(o.Dir, "certs"))
		if err != nil {
			return nil, err
		}
		c.Certs = certs
	}
	ports, err := freePorts(2 * Members)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if o.TLS {
		scheme = "https"
	}
	var initial []string
	for i := range Members {
		m := &member{
			name:   fmt.Sprintf("m%d", i),
			client: fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[2*i]),
			peer:   fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]),
			dir:    filepath.Join(o.Dir, fmt.Sprintf("m%d", i)),
		}
		c.members = append(c.members, m)
		c.Endpoints = append(c.Endpoints, m.client)
		initial = append(initial, m.name+"="+m.peer)
	}
	for i := range c.members {
		if err := c.start(i, strings.Join(initial, ","), "new"); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.WaitHealthy(30 * time.Second); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(i int, initial, state string) error {
	m := c.members[i]
	args := []string{
		"--name", m.name, "--data-dir", filepath.Join(m.dir, "data"),
		"--listen-client-urls", m.client, "--advertise-client-urls", m.client,
		"--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer,
		"--initial-cluster", initial, "--initial-cluster-state", state,
		"--initial-cluster-token", "tok-test", "--logger", "zap", "--log-level", "warn",
	}
	if c.Certs != nil {
		args = append(args, "--cert-file", c.Certs.ServerCert, "--key-file", c.Certs.ServerKey,
			"--trusted-ca-file", c.Certs.CA, "--client-cert-auth")
	}
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(m.dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("etcd", args...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: a test's Ctrl-C must not leave it behind
	// half-killed, and Close kills it by id.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	m.cmd = cmd
	return nil
}

// Kill stops member i with SIGKILL.
func (c *Cluster) Kill(i int) {
	m := c.members[i]
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGKILL)
	m.cmd.Wait()
	m.cmd = nil
}

// Restart starts member i again on its data, after Kill.
func (c *Cluster) Restart(i int) error {
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peer)
	}
	return c.start(i, strings.Join(initial, ","), "existing")
}

// Close kills every member.
func (c *Cluster) Close() {
	for i := range c.members {
		c.Kill(i)
	}
}

// Client returns a client of the cluster, for a test's own reads.
func (c *Cluster) Client() (*clientv3.Client, error) {
	conf := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if c.Certs != nil {
		tc, err := c.Certs.ClientTLS()
		if err != nil {
			return nil, err
		}
		conf.TLS = tc
	}
	return clientv3.New(conf)
}

// WaitHealthy waits until a linearizable read succeeds: a leader is
// elected and a majority answers.
func (c *Cluster) WaitHealthy(limit time.Duration) error {
	cli, err := c.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := cli.Get(ctx, "health")
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("etcd cluster %s not healthy after %s: %v (logs in %s)", strings.Join(c.Endpoints, ","), limit, err, c.opts.Dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Dump returns every key and value in the cluster.
func (c *Cluster) Dump() (map[string][]byte, error) {
	cli, err := c.Client()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, "\x00", clientv3.WithFromKey())
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = kv.Value
	}
	return out, nil
}

// freePorts returns n distinct ports of 127.0.0.1 free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
