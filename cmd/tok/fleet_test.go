//go:build unix

package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testing/testetcd"
	"github.com/tok-cli/tok/internal/testing/testop"
)

// fleetKey is the file-store key every simulated host shares (README "A
// store shared by a fleet"), and otherKey one no host uses.
const (
	fleetKey = "AGE-SECRET-KEY-147UUA6X0R2TAQALE9P2WC84J70HCS8GKHY6V2UJ0ETTZWCYNSQMSZFM09E"
	otherKey = "AGE-SECRET-KEY-1KTW722D003MJ4UV4XAGQ4JZT4D5KYHTPYJTLP5YUFUWZ7QX6PP6Q23TAX4"
)

// newFleetHost is one machine of a fleet: its own HOME, config and state
// dir, the shared provider, and store: etcd on the shared cluster.
func newFleetHost(t *testing.T, op *testop.Server, c *testetcd.Cluster, etcdBlock string) *tokEnv {
	t.Helper()
	if etcdBlock == "" {
		etcdBlock = fmt.Sprintf("etcd:\n  endpoints: [%s]\n  prefix: /tok/\n", strings.Join(c.Endpoints, ", "))
	}
	return newTokEnv(t, withProvider(op), withConfig(defaultConfig+"store: etcd\n"+etcdBlock),
		withoutEnv("TOK_STORE"), withEnv("TOK_FILE_KEY="+fleetKey))
}

// newFleet is a provider with strict rotation, a three-member cluster and
// n hosts on it.
func newFleet(t *testing.T, n int, o testetcd.Options) (*testop.Server, *testetcd.Cluster, []*tokEnv) {
	t.Helper()
	c := testetcd.ForTest(t, o)
	op, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	var hosts []*tokEnv
	for range n {
		hosts = append(hosts, newFleetHost(t, op, c, ""))
	}
	return op, c, hosts
}

// validToken reports whether the provider accepts tok as an access token.
func validToken(op *testop.Server, tok string) bool {
	req, _ := http.NewRequest("GET", op.Issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// Three hosts, ten processes each, all at once on a token that needs a
// refresh: one refresh request to the provider, thirty valid tokens. And
// etcd holds nothing but ciphertext and the index.
func TestFleetThirtyPrintsOneRefresh(t *testing.T) {
	t.Parallel()
	op, c, hosts := newFleet(t, 3, testetcd.Options{})
	op.SetAccessTTL(2 * time.Minute)
	hosts[0].run("login", "dex")
	op.SetAccessTTL(5 * time.Minute)
	if out := hosts[1].run("status"); !strings.Contains(out, "dex") {
		t.Fatalf("another host's status does not list the fleet's login:\n%s", out)
	}

	type result struct {
		out, stderr string
		code        int
	}
	results := make(chan result, 30)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, h := range hosts {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out, stderr, code := h.result("print", "dex", "--min-ttl", "3m")
				results <- result{out, stderr, code}
			}()
		}
	}
	close(start)
	wg.Wait()
	close(results)
	tokens := map[string]int{}
	for r := range results {
		if r.code != 0 {
			t.Errorf("print: exit %d: %s", r.code, r.stderr)
			continue
		}
		tokens[strings.TrimSpace(r.out)]++
	}
	if n := op.Count("refresh_token"); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
	for tok, n := range tokens {
		if !validToken(op, tok) {
			t.Errorf("%d processes got a token the provider does not accept", n)
		}
	}
	if len(tokens) != 1 {
		t.Errorf("%d different tokens, want the one refreshed", len(tokens))
	}
	scanForSecrets(t, c, op)
}

// scanForSecrets reads every key of the cluster and fails on any secret
// the provider issued or received, or the fleet's passphrase: etcd holds
// age ciphertext under records/ and the index under logins/, nothing else
// lasting.
func scanForSecrets(t *testing.T, c *testetcd.Cluster, op *testop.Server) {
	t.Helper()
	all, err := c.Dump()
	if err != nil {
		t.Fatal(err)
	}
	secrets := append(op.Secrets(), fleetKey)
	if len(secrets) < 3 {
		t.Fatalf("the provider reports %d secrets", len(secrets))
	}
	for k, v := range all {
		for _, s := range secrets {
			if len(s) >= 8 && (strings.Contains(k, s) || bytes.Contains(v, []byte(s))) {
				t.Errorf("etcd key %s holds a secret", k)
			}
		}
		switch {
		case strings.HasPrefix(k, "/tok/records/"):
			if !bytes.HasPrefix(v, []byte("age-encryption.org/v1\n")) {
				t.Errorf("record %s is not age ciphertext", k)
			}
		case strings.HasPrefix(k, "/tok/logins/"):
		default:
			t.Errorf("unexpected key %s", k)
		}
	}
}

// kill -9 of the process holding the fleet's lock, at random moments of
// its refresh, twenty times: the other hosts go on once its lease has run
// out, every stored record stays readable, and the login stays usable
// (where the kill took the rotated refresh token with it, a new login,
// exit 4 with the command, as on one machine). The killed processes run
// a tok built with -tags toktest whose lease is 2s, not 15s.
func TestFleetKillTheLockHolder(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills 20 lock holders")
	}
	shortLease := buildShortLeaseTok(t)
	op, c, hosts := newFleet(t, 2, testetcd.Options{})
	holder, other := hosts[0], hosts[1]
	holder.env = append(holder.env, "TOK_TEST_ETCD_LEASE=2s")
	holderTok := func(args ...string) *exec.Cmd {
		cmd := holder.tok(args...)
		cmd.Path, cmd.Args[0] = shortLease, shortLease
		return cmd
	}
	loginExpiring := func() {
		op.SetAccessTTL(2 * time.Minute)
		other.run("login", "dex")
		op.SetAccessTTL(5 * time.Minute)
	}
	loginExpiring()
	start := time.Now()
	if err := holderTok("print", "dex", "--min-ttl", "3m").Run(); err != nil {
		t.Fatal(err)
	}
	span := time.Since(start)
	loginExpiring()
	lost, waited := 0, 0
	for i := range 20 {
		// Every other kill comes while the provider holds the holder's
		// refresh request (or, in turn, its response after rotating):
		// the lock is surely held then. The others come at random
		// moments of a refresh.
		held := i%2 == 1
		if held && i%4 == 1 {
			op.SetTokenDelay(time.Minute)
		} else if held {
			op.SetTokenResponseDelay(time.Minute)
		}
		cmd := holderTok("print", "dex", "--min-ttl", "3m")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if held {
			waitHeld(t, op, func(n int) bool { return n > 0 })
		} else {
			time.Sleep(rand.N(span + span/4))
		}
		cmd.Process.Kill()
		cmd.Wait()
		op.SetTokenDelay(0)
		op.SetTokenResponseDelay(0)
		waitHeld(t, op, func(n int) bool { return n == 0 })

		out, stderr, code := other.result("print", "dex", "--min-ttl", "3m")
		if strings.Contains(stderr, "tok: waiting for another tok process refreshing dex:default") {
			waited++
		}
		switch {
		case code == 4 && strings.Contains(stderr, "run: tok login dex"):
			lost++
		case code != 0:
			t.Fatalf("kill %d: the next host's refresh: exit %d %s", i, code, stderr)
		case !validToken(op, strings.TrimSpace(out)):
			t.Fatalf("kill %d: the next host got a token the provider refuses", i)
		}
		if _, stderr, code := other.result("print", "dex", "--min-ttl", "0s"); code != 0 && !strings.Contains(stderr, "run: tok login dex") {
			t.Fatalf("kill %d: the stored record is not readable: exit %d %s", i, code, stderr)
		}
		loginExpiring()
	}
	t.Logf("20 kills (one refresh takes %s): the next host waited for the dead holder's lease %d times; %d kills took the rotated refresh token with them", span, waited, lost)
	if waited == 0 {
		t.Errorf("no kill left a lock behind: the test did not kill a lock holder")
	}
	if lost == 20 {
		t.Errorf("every kill lost the login")
	}
	scanForSecrets(t, c, op)
}

// waitHeld waits, boundedly, until the provider holds a number of token
// requests that ok accepts.
func waitHeld(t *testing.T, op *testop.Server, ok func(int) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok(op.Held()) {
		if time.Now().After(deadline) {
			t.Fatalf("the provider holds %d token requests", op.Held())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// buildShortLeaseTok builds tok with -tags toktest, whose etcd lease
// TOK_TEST_ETCD_LEASE sets (tests only; a release has no such variable).
func buildShortLeaseTok(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tok-short-lease")
	out, err := exec.Command("go", "build", "-tags", "toktest", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("building tok -tags toktest: %v\n%s", err, out)
	}
	return bin
}

// One member down: everything works. Two down, no quorum: exit 5 naming
// the endpoints, after the store's timeout, never another store. Once they
// are back: fine again.
func TestFleetMemberLoss(t *testing.T) {
	t.Parallel()
	op, c, hosts := newFleet(t, 2, testetcd.Options{})
	a, b := hosts[0], hosts[1]
	a.run("login", "dex")

	c.Kill(0)
	for _, args := range [][]string{{"print", "dex"}, {"refresh", "dex"}, {"status"}, {"login", "dex:second"}} {
		b.run(args...)
	}
	if tok := strings.TrimSpace(b.run("print", "dex")); !validToken(op, tok) {
		t.Fatal("with one member down, the token is not valid")
	}

	c.Kill(1)
	for _, args := range [][]string{{"print", "dex"}, {"status"}} {
		var stderr bytes.Buffer
		cmd := a.tok(args...)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// A bound for a hang, not a timed assertion.
		stop := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
		start := time.Now()
		code := exitCode(cmd.Wait())
		stop.Stop()
		msg := stderr.String()
		t.Logf("no quorum: tok %s: exit %d after %s", args[0], code, time.Since(start).Round(100*time.Millisecond))
		if code != 5 || !strings.Contains(msg, "tok: etcd at "+strings.Join(c.Endpoints, ", ")+" did not answer within 5s") ||
			!strings.Contains(msg, "most members") {
			t.Errorf("tok %s without quorum: exit %d %s", args[0], code, msg)
		}
	}

	for _, i := range []int{0, 1} {
		if err := c.Restart(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitHealthy(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	a.run("refresh", "dex")
	if tok := strings.TrimSpace(b.run("print", "dex")); !validToken(op, tok) {
		t.Fatal("once the members are back, the token is not valid")
	}
}

// The TLS set-up of the README: a CA, the members' server certificate and
// this host's client certificate. And what a wrong set-up says.
func TestFleetTLSAndMistakes(t *testing.T) {
	t.Parallel()
	op, c, _ := newFleet(t, 0, testetcd.Options{TLS: true})
	block := func(ca, cert, key string) string {
		return fmt.Sprintf("etcd:\n  endpoints: [%s]\n  prefix: /tok/\n  ca_file: %s\n  cert_file: %s\n  key_file: %s\n",
			strings.Join(c.Endpoints, ", "), ca, cert, key)
	}
	good := block(c.Certs.CA, c.Certs.ClientCert, c.Certs.ClientKey)
	h := newFleetHost(t, op, c, good)
	h.run("login", "dex")
	if tok := strings.TrimSpace(h.run("print", "dex")); !validToken(op, tok) {
		t.Fatal("the token from the TLS cluster is not valid")
	}
	if out := h.run("status"); !strings.Contains(out, "dex") {
		t.Errorf("status:\n%s", out)
	}

	missing := filepath.Join(t.TempDir(), "nope.pem")
	for _, tc := range []struct {
		name, block, env string
		args             []string
		code             int
		want             string
	}{
		{"missing ca_file", block(missing, c.Certs.ClientCert, c.Certs.ClientKey), "", []string{"print", "dex"}, 5, "tok: etcd ca_file " + missing + ": no such file or directory\n"},
		{"no client certificate", fmt.Sprintf("etcd:\n  endpoints: [%s]\n  prefix: /tok/\n  ca_file: %s\n", strings.Join(c.Endpoints, ", "), c.Certs.CA), "", []string{"print", "dex"}, 5, "the TLS handshake failed"},
		{"no prefix", fmt.Sprintf("etcd:\n  endpoints: [%s]\n", strings.Join(c.Endpoints, ", ")), "", []string{"status"}, 2, "store: etcd needs endpoints and a prefix"},
		{"no endpoints", "etcd:\n  prefix: /tok/\n", "", []string{"print", "dex"}, 2, "store: etcd needs endpoints and a prefix"},
		{"unknown key", good + "  ca_flie: x\n", "", []string{"print", "dex"}, 2, "ca_flie"},
		{"another key", good, "TOK_FILE_KEY=" + otherKey, []string{"print", "dex"}, 5, "tok: this host's key does not open the fleet's records"},
		{"a passphrase", good, "TOK_FILE_KEY=\x00TOK_PASSPHRASE=not the fleet's", []string{"print", "dex"}, 5, "tok: this host's key does not open the fleet's records"},
		{"no key", good, "TOK_FILE_KEY=", []string{"print", "dex"}, 5, "the etcd store needs the fleet's key or passphrase"},
		{"no key, status", good, "TOK_FILE_KEY=", []string{"status"}, 0, ""},
		{"password in clear", "etcd:\n  endpoints: [http://10.0.0.1:2379]\n  prefix: /tok/\n", "TOK_ETCD_PASSWORD=pw", []string{"status"}, 2, "is not https"},
		{"password in clear, no scheme", "etcd:\n  endpoints: [10.0.0.1:2379]\n  prefix: /tok/\n", "TOK_ETCD_PASSWORD=pw", []string{"status"}, 2, "is not https"},
	} {
		host := newFleetHost(t, op, c, tc.block)
		if tc.env != "" {
			host.env = append(host.env, strings.Split(tc.env, "\x00")...)
		}
		_, stderr, code := host.result(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, %q; want exit %d and %q", tc.name, code, stderr, tc.code, tc.want)
		}
	}
}
