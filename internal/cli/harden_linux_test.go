//go:build linux

package cli

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHarden checks, in a child process so the test binary stays as it
// was, that harden makes the process non-dumpable and lowers its core
// file limit to zero.
func TestHarden(t *testing.T) {
	if os.Getenv("TOK_HARDEN_CHILD") == "1" {
		harden()
		d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		var lim unix.Rlimit
		lerr := unix.Getrlimit(unix.RLIMIT_CORE, &lim)
		fmt.Printf("dumpable=%d err=%v core=%d lerr=%v\n", d, err, lim.Cur, lerr)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHarden$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TOK_HARDEN_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "dumpable=0 err=<nil> core=0 lerr=<nil>") {
		t.Fatalf("after harden: %s", out)
	}
}

// TestMainHardens makes sure Main, not only harden, does it: a tok whose
// Main forgot the call would leave the process dumpable.
func TestMainHardens(t *testing.T) {
	if os.Getenv("TOK_HARDEN_CHILD") == "2" {
		Main(t.Context(), []string{"version"}, strings.NewReader(""), os.Stderr, os.Stderr)
		d, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		fmt.Printf("dumpable=%d\n", d)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainHardens$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TOK_HARDEN_CHILD=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "dumpable=0") {
		t.Fatalf("after Main: %s", out)
	}
}
