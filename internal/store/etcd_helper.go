package store

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/tok-cli/tok/internal/etcdproto"
	"github.com/tok-cli/tok/internal/tokerr"
)

// HelperName is the program that holds tok's etcd client.
const HelperName = "tok-etcd"

// HelperPath finds tok-etcd: next to the running tok first (where make
// install and the release archives put it), then on PATH.
func HelperPath() (string, error) {
	name := HelperName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(HelperName)
	if err != nil {
		return "", tokerr.New(tokerr.StoreUnavailable, "store: etcd needs %s, which comes with tok, next to tok or on PATH", HelperName).
			WithHint("install it with tok (make install does, the release archives hold it)")
	}
	return p, nil
}

// call sends r to the helper, started on first use, and words its errors.
func (e *Etcd) call(ctx context.Context, r etcdproto.Request, onWait func()) (etcdproto.Response, error) {
	h, err := e.started(ctx)
	if err != nil {
		return etcdproto.Response{}, err
	}
	resp, err := h.Call(ctx, r, onWait)
	if err != nil {
		return resp, e.failed(ctx, err)
	}
	return resp, nil
}

func (e *Etcd) started(ctx context.Context) (*etcdproto.Client, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.helper != nil {
		return e.helper, nil
	}
	path := e.o.Helper
	if path == "" {
		var err error
		if path, err = HelperPath(); err != nil {
			return nil, err
		}
	}
	h, err := etcdproto.Start(ctx, path, e.helperEnv(), etcdproto.Config{
		Endpoints: e.o.Endpoints, CAFile: e.o.CAFile, CertFile: e.o.CertFile, KeyFile: e.o.KeyFile,
		Timeout: e.o.Timeout, Lease: e.o.Lease, LockWait: e.o.LockWait, LockMaxWait: e.o.LockMaxWait,
	})
	if err != nil {
		return nil, e.failed(ctx, err)
	}
	e.helper = h
	return h, nil
}

// helperEnv is Environ with the etcd username and password, and nothing
// else of tok's secrets: the helper has no use for a passphrase.
func (e *Etcd) helperEnv() []string {
	var env []string
	for _, kv := range e.o.Environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TOK_") {
			continue
		}
		env = append(env, kv)
	}
	if e.o.Username != "" {
		env = append(env, "TOK_ETCD_USERNAME="+e.o.Username, "TOK_ETCD_PASSWORD="+e.o.Password)
	}
	return env
}
