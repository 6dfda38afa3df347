package token

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holdLockChild marks the copy of the test binary that takes a lock and
// waits to be killed.
const holdLockChild = "TOK_TEST_HOLD_LOCK_DIR"

// TestHoldLockChild is not a test: it is the lock holder, run by holdLock.
func TestHoldLockChild(t *testing.T) {
	dir := os.Getenv(holdLockChild)
	if dir == "" {
		t.Skip("run by holdLock")
	}
	l := &FileLocker{Dir: dir}
	if _, err := l.Lock(context.Background(), "dex:default"); err != nil {
		os.Exit(1)
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Minute)
	os.Exit(0)
}

// holdLock starts a process that holds dex:default's lock in dir.
func holdLock(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldLockChild$")
	cmd.Env = append(os.Environ(), holdLockChild+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("lock holder said %q", line)
	}
	return cmd
}

// A lock held by another process is waited for a bounded time, saying
// what for, and the error names the target and the lock file.
func TestLockWaitIsBounded(t *testing.T) {
	dir := t.TempDir()
	holdLock(t, dir)
	var notice strings.Builder
	l := &FileLocker{Dir: dir, Wait: 300 * time.Millisecond, Note: func(s string) { notice.WriteString(s + "\n") }}
	start := time.Now()
	unlock, err := l.Lock(context.Background(), "dex:default")
	if err == nil {
		unlock()
		t.Fatal("took a lock another process holds")
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("gave up after %v, want about 300ms", d)
	}
	if notice.String() != "waiting for another tok process refreshing dex:default\n" {
		t.Errorf("notice %q", notice.String())
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "gave up after 300ms waiting for another tok process refreshing dex:default (lock ") ||
		!strings.HasSuffix(msg, "), which held it all that time") {
		t.Errorf("error %q", msg)
	}
}

// A lock whose holder was killed with SIGKILL is free at once: the kernel
// dropped it with the process, and the lock file left behind means nothing.
func TestLockOfAKilledProcessIsFree(t *testing.T) {
	dir := t.TempDir()
	cmd := holdLock(t, dir)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	var notice strings.Builder
	l := &FileLocker{Dir: dir, Wait: 5 * time.Second, Note: func(s string) { notice.WriteString(s + "\n") }}
	start := time.Now()
	unlock, err := l.Lock(context.Background(), "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if notice.Len() > 0 || time.Since(start) > time.Second {
		t.Errorf("waited %v for a dead process (%q)", time.Since(start), notice.String())
	}
}

// Cancelling (Ctrl-C) ends the wait at once with the context's error.
func TestLockWaitEndsWithTheContext(t *testing.T) {
	dir := t.TempDir()
	holdLock(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	l := &FileLocker{Dir: dir, Wait: time.Minute}
	if _, err := l.Lock(ctx, "dex:default"); err != context.DeadlineExceeded {
		t.Errorf("Lock = %v, want the context's error", err)
	}
}

// handOn plays a queue of tok processes that take the lock in turn: every
// step, the lock changes hands (the next holder marks the lock file, as
// Lock does when it takes a lock), steps times, and then it is released.
func handOn(t *testing.T, dir string, step time.Duration, steps int) {
	t.Helper()
	holder := &FileLocker{Dir: dir}
	unlock, err := holder.Lock(context.Background(), "dex:default")
	if err != nil {
		t.Fatal(err)
	}
	path := lockPath(t, dir)
	go func() {
		defer unlock()
		for range steps {
			time.Sleep(step)
			markTaken(path)
		}
	}()
}

func lockPath(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.lock"))
	if len(m) != 1 {
		t.Fatalf("lock files %q", m)
	}
	return m[0]
}

// 32 concurrent prints queue for one lock, and the last one waits for all
// the turns before it: as long as the lock keeps changing hands, a waiter
// waits on past the bound of one holder (here 2s of turns against 1s).
func TestLockWaitFollowsTheQueue(t *testing.T) {
	dir := t.TempDir()
	handOn(t, dir, 100*time.Millisecond, 20)
	l := &FileLocker{Dir: dir, Wait: time.Second}
	unlock, err := l.Lock(context.Background(), "dex:default")
	if err != nil {
		t.Fatalf("gave up on a lock that kept changing hands: %v", err)
	}
	unlock()
}

// A queue that never ends is still not waited for without end.
func TestLockWaitHasAnOverallBound(t *testing.T) {
	dir := t.TempDir()
	handOn(t, dir, 50*time.Millisecond, 10)
	l := &FileLocker{Dir: dir, Wait: time.Minute, MaxWait: 300 * time.Millisecond}
	_, err := l.Lock(context.Background(), "dex:default")
	if err == nil || !strings.HasPrefix(err.Error(), "gave up after 300ms waiting for other tok processes refreshing dex:default (lock ") {
		t.Fatalf("Lock = %v", err)
	}
}
