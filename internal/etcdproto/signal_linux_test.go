package etcdproto_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tok-cli/tok/internal/etcdproto"
)

// A Ctrl-C reaches tok exec's whole process group; the helper goes on
// serving tok, which ends it by closing its stdin.
func TestHelperIgnoresInterrupts(t *testing.T) {
	cl, err := start(t, "ok")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pids := children(t)
	if len(pids) == 0 {
		t.Fatal("no helper process found")
	}
	for _, pid := range pids {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
			syscall.Kill(pid, sig)
		}
	}
	if _, err := cl.Call(context.Background(), etcdproto.Request{Op: etcdproto.OpGet, Key: "b"}, nil); err != nil {
		t.Fatalf("after SIGINT, SIGTERM and SIGHUP: %v", err)
	}
}

// children lists this process's child processes (Linux /proc).
func children(t *testing.T) []int {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(field); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
