package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testing/testetcd"
	"github.com/tok-cli/tok/internal/tokerr"
)

const fleetPassphrase = "fleet passphrase for tests"

func newEtcd(t *testing.T, c *testetcd.Cluster, o store.EtcdOptions) *store.Etcd {
	t.Helper()
	o.Endpoints = c.Endpoints
	if o.Prefix == "" {
		o.Prefix = "/tok/"
	}
	if o.Seal == nil {
		o.Seal = store.PassphraseSealer{Passphrase: fleetPassphrase}
	}
	if o.CAFile == "" && c.Certs != nil {
		o.CAFile, o.CertFile, o.KeyFile = c.Certs.CA, c.Certs.ClientCert, c.Certs.ClientKey
	}
	if o.Helper == "" {
		o.Helper = helperBin(t)
	}
	e, err := store.NewEtcd(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// helperBin builds tok-etcd for one test.
func helperBin(t *testing.T) string {
	t.Helper()
	testetcd.Need(t)
	path := filepath.Join(t.TempDir(), "tok-etcd")
	out, err := exec.Command("go", "build", "-o", path, "github.com/tok-cli/tok/cmd/tok-etcd").CombinedOutput()
	if err != nil {
		t.Fatalf("building tok-etcd: %v\n%s", err, out)
	}
	return path
}

func sampleRecord(access, refresh string) *store.Record {
	return &store.Record{
		AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		Expiry: time.Now().Add(time.Hour).UTC().Round(time.Second), Scopes: []string{"openid"},
		ObtainedAt: time.Now().UTC().Round(time.Second), Issuer: "http://127.0.0.1:1",
	}
}

// A login round-trips through etcd; the cluster holds its record as age
// ciphertext and its index entry without a secret; status lists it; logout
// removes both.
func TestEtcdHoldsCiphertextAndTheIndexOnly(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	e := newEtcd(t, c, store.EtcdOptions{})
	st := store.New(e, nil)
	ctx := context.Background()
	rec := sampleRecord("access-secret-1", "refresh-secret-1")
	rec.IDToken = "id-secret-1"
	if err := st.Save(ctx, "dex", "default", rec); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveRaw(ctx, "registration:http://127.0.0.1:1", []byte(`{"client_secret":"client-secret-1"}`)); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load(ctx, "dex", "default")
	if err != nil || got.AccessToken != rec.AccessToken || got.RefreshToken != rec.RefreshToken {
		t.Fatalf("load: %+v, %v", got, err)
	}
	entries, err := st.List()
	if err != nil || len(entries) != 1 || entries[0].Provider != "dex" || entries[0].Store != "etcd" {
		t.Fatalf("list: %+v, %v", entries, err)
	}
	all, err := c.Dump()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Errorf("keys in etcd: %v, want a record, a registration and an index entry", keys(all))
	}
	for k, v := range all {
		for _, secret := range []string{"access-secret-1", "refresh-secret-1", "id-secret-1", "client-secret-1", fleetPassphrase} {
			if strings.Contains(k, secret) || bytes.Contains(v, []byte(secret)) {
				t.Errorf("etcd key %s holds %s", k, secret)
			}
		}
		switch {
		case strings.HasPrefix(k, "/tok/records/"):
			if !bytes.HasPrefix(v, []byte("age-encryption.org/v1\n")) {
				t.Errorf("record %s is not age ciphertext", k)
			}
		case strings.HasPrefix(k, "/tok/logins/"):
		default:
			t.Errorf("key %s outside the records and the index", k)
		}
	}
	if err := st.Remove(ctx, "dex", "default"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, "dex", "default"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after remove: %v", err)
	}
	if entries, _ := st.List(); len(entries) != 0 {
		t.Errorf("index after remove: %+v", entries)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A process whose lock ran out while it refreshed (its lease revoked here,
// as expiry would) cannot write over the pair the next holder stored.
func TestEtcdWriteAfterLostLeaseIsRefused(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	ctx := context.Background()
	slow := store.New(newEtcd(t, c, store.EtcdOptions{Lease: 2 * time.Second}), nil)
	next := store.New(newEtcd(t, c, store.EtcdOptions{Lease: 2 * time.Second}), nil)
	if err := slow.Save(ctx, "dex", "default", sampleRecord("a1", "r1")); err != nil {
		t.Fatal(err)
	}

	unlockSlow, err := slow.Backend().(*store.Etcd).Lock(ctx, "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slow.Load(ctx, "dex", "default"); err != nil {
		t.Fatal(err)
	}
	// The slow process's lease ends (a pause longer than the lease).
	if err := revokeLocks(c, "/tok/locks/"); err != nil {
		t.Fatal(err)
	}
	unlockNext, err := next.Backend().(*store.Etcd).Lock(ctx, "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := next.Load(ctx, "dex", "default"); err != nil {
		t.Fatal(err)
	}
	if err := next.Save(ctx, "dex", "default", sampleRecord("a2", "r2")); err != nil {
		t.Fatalf("the lock's holder could not write: %v", err)
	}
	unlockNext()

	err = slow.Save(ctx, "dex", "default", sampleRecord("a-stale", "r-stale"))
	if !errors.Is(err, store.ErrChanged) {
		t.Fatalf("write after the lease ran out: %v, want ErrChanged", err)
	}
	unlockSlow()
	got, err := next.Load(ctx, "dex", "default")
	if err != nil || got.RefreshToken != "r2" {
		t.Fatalf("stored pair: %+v, %v; want the newer one", got, err)
	}
}

// revokeLocks revokes the leases of every lock key under prefix.
func revokeLocks(c *testetcd.Cluster, prefix string) error {
	cli, err := c.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx := context.Background()
	resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	for _, kv := range resp.Kvs {
		if _, err := cli.Revoke(ctx, clientv3.LeaseID(kv.Lease)); err != nil {
			return err
		}
	}
	return nil
}

// A second process waits for the lock, says so, and gets it once the
// first lets go. The first lets go only once the second has said it
// waits: a second slow to start would otherwise find the lock free.
func TestEtcdLockWaitsAndSaysWhy(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	ctx := context.Background()
	notices := make(chan string, 10)
	first := newEtcd(t, c, store.EtcdOptions{})
	second := newEtcd(t, c, store.EtcdOptions{Note: func(s string) { notices <- "tok: " + s }})
	unlock, err := first.Lock(ctx, "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := second.Lock(ctx, "dex:default")
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second lock taken while the first is held: %v", err)
	case n := <-notices:
		if n != "tok: waiting for another tok process refreshing dex:default" {
			t.Errorf("notice %q", n)
		}
	}
	select {
	case err := <-got:
		t.Fatalf("second lock taken while the first is held: %v", err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if len(notices) != 0 {
		t.Errorf("more notices: %q", <-notices)
	}
}

// A host whose passphrase is not the fleet's is refused with exit 5
// before it writes anything.
func TestEtcdAnotherKeyIsRefused(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	ctx := context.Background()
	good := store.New(newEtcd(t, c, store.EtcdOptions{}), nil)
	if err := good.Save(ctx, "dex", "default", sampleRecord("a1", "r1")); err != nil {
		t.Fatal(err)
	}
	other := store.New(newEtcd(t, c, store.EtcdOptions{Seal: store.PassphraseSealer{Passphrase: "another"}}), nil)
	_, err := other.Load(ctx, "dex", "default")
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "this host's key does not open the fleet's records") {
		t.Fatalf("load with another key: exit %d, %v", tokerr.ExitCode(err), err)
	}
	err = other.CheckWritable(ctx, "dex", "second")
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "this host's key does not open the fleet's records") {
		t.Fatalf("check before a login with another key: exit %d, %v", tokerr.ExitCode(err), err)
	}
	bare, err := store.NewEtcd(store.EtcdOptions{Endpoints: c.Endpoints, Prefix: "/tok/", Helper: helperBin(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	nokey := store.New(bare, nil)
	if _, err := nokey.Load(ctx, "dex", "default"); tokerr.ExitCode(err) != 5 {
		t.Fatalf("load without a key: exit %d, %v", tokerr.ExitCode(err), err)
	}
	if entries, err := nokey.List(); err != nil || len(entries) != 1 {
		t.Errorf("the index needs no key: %+v, %v", entries, err)
	}
}

// Nothing listens: exit 5 within the timeout, naming the endpoints and
// what to check.
func TestEtcdUnreachable(t *testing.T) {
	t.Parallel()
	e, err := store.NewEtcd(store.EtcdOptions{
		Endpoints: []string{"http://127.0.0.1:1", "http://127.0.0.1:9"}, Prefix: "/tok/",
		Seal: store.PassphraseSealer{Passphrase: fleetPassphrase}, Timeout: time.Second, Helper: helperBin(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Get(context.Background(), store.TokenKey("dex", "default"))
	msg := err.Error() + "; " + tokerr.HintOf(err)
	if tokerr.ExitCode(err) != 5 || !strings.Contains(msg, "etcd at http://127.0.0.1:1, http://127.0.0.1:9 did not answer within 1s") ||
		!strings.Contains(msg, "most members") {
		t.Fatalf("exit %d: %s", tokerr.ExitCode(err), msg)
	}
}

// TLS: a client with the CA and its certificate works; wrong files are
// named; a CA that did not sign the server fails the handshake (exit 5).
func TestEtcdTLS(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{TLS: true})
	ctx := context.Background()
	st := store.New(newEtcd(t, c, store.EtcdOptions{}), nil)
	if err := st.Save(ctx, "dex", "default", sampleRecord("a1", "r1")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, "dex", "default"); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		ca, cert, key, want string
		code                int
	}{
		{missing, "", "", "etcd ca_file " + missing + ": no such file or directory", 5},
		{garbage, "", "", "etcd ca_file " + garbage + ": no PEM certificate in it", 5},
		{c.Certs.CA, missing, c.Certs.ClientKey, "etcd cert_file " + missing, 5},
		{c.Certs.CA, c.Certs.ClientCert, missing, "etcd key_file " + missing, 5},
		{c.Certs.CA, c.Certs.ClientCert, c.Certs.ServerKey, "the key is not the certificate's", 5},
		{c.Certs.CA, c.Certs.ClientCert, "", "cert_file and key_file go together", 2},
	} {
		_, err := store.EtcdTLS(tc.ca, tc.cert, tc.key)
		if tokerr.ExitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("EtcdTLS(%s, %s, %s): exit %d, %v; want %q", tc.ca, tc.cert, tc.key, tokerr.ExitCode(err), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("error quotes a key file: %v", err)
		}
	}

	other, err := testetcd.MakeCerts(filepath.Join(dir, "other"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEtcd(t, c, store.EtcdOptions{CAFile: other.CA, CertFile: c.Certs.ClientCert, KeyFile: c.Certs.ClientKey, Timeout: 2 * time.Second})
	_, err = e.Get(ctx, store.TokenKey("dex", "default"))
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "TLS handshake failed (tls: failed to verify certificate: x509: certificate signed by unknown authority") ||
		!strings.Contains(tokerr.HintOf(err), "ca_file") {
		t.Errorf("server not signed by ca_file: exit %d, %v; %s", tokerr.ExitCode(err), err, tokerr.HintOf(err))
	}

	e = newEtcd(t, c, store.EtcdOptions{CAFile: c.Certs.CA, Timeout: 2 * time.Second})
	_, err = e.Get(ctx, store.TokenKey("dex", "default"))
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "TLS handshake failed (tls: ") {
		t.Errorf("no client certificate: exit %d, %v", tokerr.ExitCode(err), err)
	}
	t.Logf("without a client certificate: %v", err)
}

// Without tok-etcd next to tok or on PATH, the etcd store says what is
// missing (exit 5); it never falls back to another store.
func TestEtcdWithoutTheHelper(t *testing.T) {
	t.Setenv("PATH", "")
	_, err := store.HelperPath()
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "store: etcd needs tok-etcd") {
		t.Fatalf("exit %d, %v", tokerr.ExitCode(err), err)
	}
	e, err := store.NewEtcd(store.EtcdOptions{Endpoints: []string{"http://127.0.0.1:1"}, Prefix: "/tok/"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Get(context.Background(), store.TokenKey("dex", "default"))
	if tokerr.ExitCode(err) != 5 || !strings.Contains(err.Error(), "tok-etcd") {
		t.Fatalf("get without the helper: exit %d, %v", tokerr.ExitCode(err), err)
	}
}
