// Package testchrome starts Debian's headless Chromium for tests, driven
// over the DevTools protocol with chromedp. Where Chromium is missing the
// test skips with the command that installs it, but under CI, which
// installs it, it fails instead.
package testchrome

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Binaries are the names Chromium goes by, in the order tried.
var Binaries = []string{"chromium", "chromium-browser", "google-chrome"}

// Start runs a fresh Chromium (empty profile, no network of its own) for
// the test and returns a context for its first tab. It is stopped when
// the test ends; its whole life is bounded by timeout.
func Start(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := lookPath()
	if path == "" {
		const msg = "skipping the real browser test: chromium is not installed (apt-get install -y chromium)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		// No sandbox: CI runs as root in a container, where Chromium's
		// sandbox cannot start.
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	// Start the browser now, so a broken install fails here.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("chromium did not start: %v", err)
	}
	return bctx
}

func lookPath() string {
	for _, name := range Binaries {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
