package etcdproto_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/etcdproto"
)

// The helper in these tests is this test binary, run again with
// helperEnv set, serving a fake cluster.
const helperEnv = "ETCDPROTO_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		etcdproto.Serve(os.Stdin, os.Stdout, openFake)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fake answers get with the key as value after a delay the key names
// ("slow..." keys wait), takes lock "busy" only after saying it waits,
// exits the process on get "die", and refuses the endpoint "refuse".
type fake struct{}

func openFake(c etcdproto.Config) (etcdproto.Cluster, error) {
	if len(c.Endpoints) > 0 && c.Endpoints[0] == "refuse" {
		return nil, &etcdproto.Error{Kind: etcdproto.KindAuth}
	}
	return fake{}, nil
}

func (fake) Get(_ context.Context, key string) ([]etcdproto.KV, error) {
	switch {
	case key == "die":
		os.Exit(3)
	case strings.HasPrefix(key, "slow"):
		time.Sleep(300 * time.Millisecond)
	}
	return []etcdproto.KV{{Key: key, Value: []byte("v:" + key), ModRev: 7}}, nil
}

func (fake) List(context.Context, string, int64) ([]etcdproto.KV, error) { return nil, nil }

func (fake) Txn(_ context.Context, r etcdproto.Request) (bool, int64, error) {
	return len(r.If) == 0, 9, nil
}

func (fake) Lock(_ context.Context, key string, onWait func()) (func(), error) {
	if key == "busy" {
		onWait()
	}
	return func() {}, nil
}

func start(t *testing.T, endpoint string) (*etcdproto.Client, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return etcdproto.Start(context.Background(), self, append(os.Environ(), helperEnv+"=1"),
		etcdproto.Config{Endpoints: []string{endpoint}, Timeout: time.Second})
}

// Answers come back to the right caller whatever their order; a lock
// that has to wait says so first.
func TestCallsMatchTheirAnswers(t *testing.T) {
	cl, err := start(t, "ok")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, key := range []string{"slow-a", "b", "slow-c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := cl.Call(ctx, etcdproto.Request{Op: etcdproto.OpGet, Key: key}, nil)
			if err != nil || len(resp.KVs) != 1 || string(resp.KVs[0].Value) != "v:"+key || resp.KVs[0].ModRev != 7 {
				t.Errorf("get %s: %+v, %v", key, resp, err)
			}
		}()
	}
	wg.Wait()
	resp, err := cl.Call(ctx, etcdproto.Request{Op: etcdproto.OpTxn, If: []etcdproto.Cond{{Key: "k", ModRev: 3}}}, nil)
	if err != nil || resp.OK || resp.Rev != 9 {
		t.Errorf("txn: %+v, %v", resp, err)
	}
	waited := 0
	if _, err := cl.Call(ctx, etcdproto.Request{Op: etcdproto.OpLock, Key: "busy"}, func() { waited++ }); err != nil || waited != 1 {
		t.Errorf("lock: waited %d, %v", waited, err)
	}
}

// A helper that refuses its config fails Start with its error; one that
// dies fails the calls waiting on it instead of leaving them hanging.
func TestHelperFailures(t *testing.T) {
	_, err := start(t, "refuse")
	var pe *etcdproto.Error
	if !errors.As(err, &pe) || pe.Kind != etcdproto.KindAuth {
		t.Fatalf("start with a refused login: %v", err)
	}
	cl, err := start(t, "ok")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	_, err = cl.Call(context.Background(), etcdproto.Request{Op: etcdproto.OpGet, Key: "die"}, nil)
	if !errors.As(err, &pe) || !strings.Contains(pe.Detail, "tok-etcd exited") {
		t.Fatalf("call to a helper that died: %v", err)
	}
	if _, err := cl.Call(context.Background(), etcdproto.Request{Op: etcdproto.OpGet, Key: "b"}, nil); err == nil {
		t.Fatal("a call after the helper died succeeded")
	}
}
