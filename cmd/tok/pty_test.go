//go:build linux || darwin || freebsd

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// onTerminal runs `tok ARGS...` with stderr (and, with stdinTTY, stdin) on
// a new pseudo-terminal that becomes its controlling terminal, as in a
// person's shell. stdout stays a pipe. It returns the running command,
// the terminal's screen stream, the master side (the person's keyboard)
// and the slave side (to inspect its modes).
func (h *tokEnv) onTerminal(t *testing.T, ctx context.Context, stdinTTY bool, args ...string) (*exec.Cmd, *lineWatcher, *os.File, *os.File, *strings.Builder) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 60, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	cmd := h.command(ctx, args...)
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, tty
	if stdinTTY {
		cmd.Stdin = tty
	}
	// The child's stderr is fd 2; it becomes the controlling terminal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 2}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, watchStream(ptmx), ptmx, tty, &stdout
}

func statusOf(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// waitExit waits for tok and then for its last output to reach the screen.
func waitExit(t *testing.T, cmd *exec.Cmd, screen *lineWatcher, last *regexp.Regexp) int {
	t.Helper()
	code := statusOf(t, cmd.Wait())
	screen.waitFor(t, last)
	return code
}

var sgrSeq = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func TestDeviceLoginOnTerminal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     []string
		approve bool
		cancel  bool // Ctrl-C instead of answering
		code    int
		last    string
		color   bool
	}{
		{"approved", nil, true, false, 0, `tok: logged in to auto`, true},
		{"approved, NO_COLOR", []string{"NO_COLOR=1"}, true, false, 0, `tok: logged in to auto`, false},
		{"denied", nil, false, false, 1, `tok: login was denied at the provider`, true},
		{"interrupted", nil, false, true, 130, `tok: interrupted`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newTokEnv(t, withEnv(append([]string{"CI=true", "TERM=xterm-256color"}, tt.env...)...))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd, screen, _, _, stdout := h.onTerminal(t, ctx, false, "login", "auto")
			m := screen.waitFor(t, codeLine)
			screen.waitFor(t, regexp.MustCompile(`Waiting for approval: the code expires in (\x1b\[1m)?[45]:\d\d`))
			if tt.cancel {
				cmd.Process.Signal(os.Interrupt)
			} else if err := testop.ApproveDevice(ctx, m[1], m[2], testop.User, testop.Password, tt.approve); err != nil {
				t.Fatal(err)
			}
			code := waitExit(t, cmd, screen, regexp.MustCompile(regexp.QuoteMeta(tt.last)))
			out := screen.String()
			if code != tt.code {
				t.Fatalf("exit %d, want %d; screen:\n%s", code, tt.code, out)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			if !strings.Contains(out, "Scan with a phone") || !strings.ContainsAny(out, "▀▄") {
				t.Errorf("no QR code on the terminal:\n%s", out)
			}
			if !strings.Contains(out, "█   █") {
				t.Errorf("no user code in block letters:\n%s", out)
			}
			// The countdown line is cleared before the last line.
			if !regexp.MustCompile(`\r\x1b\[2K(\r\n)?` + regexp.QuoteMeta(tt.last)).MatchString(out) {
				t.Errorf("the countdown is not cleared before %q:\n%q", tt.last, out[max(0, len(out)-300):])
			}
			if got := sgrSeq.MatchString(out); got != tt.color {
				t.Errorf("colour on screen = %v, want %v", got, tt.color)
			}
		})
	}
}

// TestDeviceLoginDumbTerminal: TERM=dumb gets the plain lines.
func TestDeviceLoginDumbTerminal(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withEnv("CI=true", "TERM=dumb"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, screen, _, _, _ := h.onTerminal(t, ctx, false, "login", "auto")
	m := screen.waitFor(t, codeLine)
	if err := testop.ApproveDevice(ctx, m[1], m[2], testop.User, testop.Password, true); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, screen, regexp.MustCompile(`logged in to auto`)); code != 0 {
		t.Fatalf("exit %d:\n%s", code, screen)
	}
	if out := screen.String(); strings.Contains(out, "\x1b") || strings.ContainsAny(out, "▀▄█") {
		t.Errorf("escapes or art on a dumb terminal:\n%q", out)
	}
}

// typeLine types s and Enter on the terminal once prompt shows.
func typeLine(t *testing.T, screen *lineWatcher, ptmx *os.File, prompt, s string) {
	t.Helper()
	screen.waitFor(t, regexp.MustCompile(regexp.QuoteMeta(prompt)))
	if _, err := ptmx.Write([]byte(s + "\r")); err != nil {
		t.Fatal(err)
	}
}

func TestPassphraseFromTerminal(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withoutStoreSecret())
	const pass = "tr0ub4dor-and-3"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A new store: asked twice, never echoed.
	cmd, screen, ptmx, _, _ := h.onTerminal(t, ctx, true, "login", "svc")
	typeLine(t, screen, ptmx, "choose a passphrase for the file store", pass)
	typeLine(t, screen, ptmx, "the same passphrase again: ", pass)
	if code := waitExit(t, cmd, screen, regexp.MustCompile(`logged in to svc`)); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, screen)
	}
	if strings.Contains(screen.String(), pass) {
		t.Fatalf("the passphrase was echoed:\n%s", screen)
	}

	// Later: asked once; stdout carries only the token.
	cmd, screen, ptmx, _, stdout := h.onTerminal(t, ctx, true, "print", "svc")
	typeLine(t, screen, ptmx, "tok: passphrase for the file store: ", pass)
	if code := statusOf(t, cmd.Wait()); code != 0 {
		t.Fatalf("print: exit %d\n%s", code, screen)
	}
	token := strings.TrimSpace(stdout.String())
	if len(token) < 16 || strings.Contains(screen.String(), pass) {
		t.Fatalf("print: stdout %q; screen:\n%s", token, screen)
	}
	if h.op.Count("client_credentials") != 1 {
		t.Errorf("the stored token was not read: %d fetches", h.op.Count("client_credentials"))
	}

	// The same store opens with TOK_PASSPHRASE and no terminal.
	if out, serr, code := h.with("TOK_PASSPHRASE="+pass).result("print", "svc"); code != 0 || strings.TrimSpace(out) != token {
		t.Fatalf("print with TOK_PASSPHRASE: exit %d, %q\n%s", code, out, serr)
	}

	// A wrong passphrase typed: exit 5.
	cmd, screen, ptmx, _, _ = h.onTerminal(t, ctx, true, "print", "svc")
	typeLine(t, screen, ptmx, "tok: passphrase for the file store: ", "nope")
	if code := waitExit(t, cmd, screen, regexp.MustCompile(`wrong passphrase`)); code != 5 {
		t.Fatalf("wrong passphrase: exit %d\n%s", code, screen)
	}

	// A typo on a new login is refused before anything is written or
	// fetched, so the store never ends up split between two passphrases.
	cmd, screen, ptmx, _, _ = h.onTerminal(t, ctx, true, "login", "svc:second")
	typeLine(t, screen, ptmx, "tok: passphrase for the file store: ", pass+"x")
	if code := waitExit(t, cmd, screen, regexp.MustCompile(`wrong passphrase`)); code != 5 {
		t.Fatalf("new login with a mistyped passphrase: exit %d\n%s", code, screen)
	}
	if n := h.op.Count("client_credentials"); n != 1 {
		t.Errorf("the refused login fetched a token: %d fetches, want 1", n)
	}

	// Ctrl-C at the prompt: exit 130, echo back on.
	cmd, screen, ptmx, tty, _ := h.onTerminal(t, ctx, true, "print", "svc")
	screen.waitFor(t, regexp.MustCompile(`passphrase for the file store: `))
	ptmx.Write([]byte{3})
	if code := waitExit(t, cmd, screen, regexp.MustCompile(`tok: interrupted`)); code != 130 {
		t.Fatalf("Ctrl-C at the prompt: exit %d\n%s", code, screen)
	}
	if !echoOn(int(tty.Fd())) {
		t.Error("the terminal was left without echo")
	}
}

func TestPassphraseMismatch(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withoutStoreSecret())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, screen, ptmx, _, _ := h.onTerminal(t, ctx, true, "login", "svc")
	typeLine(t, screen, ptmx, "choose a passphrase", "one")
	typeLine(t, screen, ptmx, "the same passphrase again: ", "two")
	if code := waitExit(t, cmd, screen, regexp.MustCompile(`differ`)); code != 5 {
		t.Fatalf("exit %d\n%s", code, screen)
	}
}

// TestNoPromptWithoutTerminal: piped stdin means no person: no prompt,
// exit 5 at once.
func TestNoPromptWithoutTerminal(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withoutStoreSecret())
	_, stderr, code := h.result("login", "svc")
	if code != 5 || strings.Contains(stderr, "passphrase for the file store:") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestImportFromTerminal: import at a terminal asks for the token without
// echo.
func TestImportFromTerminal(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := deviceToken(ctx, h.op.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	cmd, screen, ptmx, _, stdout := h.onTerminal(t, ctx, true, "import", "dex")
	typeLine(t, screen, ptmx, "tok: paste the refresh token or token JSON (one line, not shown), then Enter: ", tok.RefreshToken)
	if code := waitExit(t, cmd, screen, regexp.MustCompile(`tok: imported dex`)); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, screen)
	}
	if strings.Contains(screen.String(), tok.RefreshToken) || stdout.Len() != 0 {
		t.Fatalf("the token was echoed:\n%s", screen)
	}
	if out, serr, code := h.result("print", "dex"); code != 0 || len(strings.TrimSpace(out)) < 16 {
		t.Fatalf("print after import: exit %d\n%s", code, serr)
	}
}
