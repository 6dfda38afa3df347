package flow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/testing/testchrome"
	"github.com/tok-cli/tok/internal/testing/testop"
)

// phoneWidth is the CSS width of a small phone screen (iPhone SE/mini).
const phoneWidth = 375

// The pages after a login, success and failure, seen by a real browser
// at the end of the real flow against the in-process provider: no console
// errors and no CSP violations (the stylesheet's hash is right), laid out
// for a 375 px phone with readable text, dark under prefers-color-scheme:
// dark, and moved off the callback URL.
func TestPagesInChromium(t *testing.T) {
	browser := testchrome.Start(t, 3*time.Minute)
	op, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	const longTarget = "https://mcp.example.com/a/very/long/path/that/does/not/fit/on/a/phone/screen/at/all/mcp"
	tests := []struct {
		name, target string
		dark, fail   bool
	}{
		{"success light", "dex", false, false},
		{"success dark", "dex:work", true, false},
		{"failure light", longTarget, false, true},
		{"failure dark", "dex", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loginInChromium(t, browser, op, tt.target, tt.dark, tt.fail)
			if got.path != "/done" || got.query != "" {
				t.Errorf("the browser ended on %s?%s, want /done without a query", got.path, got.query)
			}
			if tt.fail {
				if !strings.Contains(got.text, "Login failed") || !strings.Contains(got.text, "The provider found the login request malformed") {
					t.Errorf("failure page says %q", got.text)
				}
				if strings.Contains(got.text, "prompt") {
					t.Errorf("failure page shows the provider's description: %q", got.text)
				}
			} else if !strings.Contains(got.text, "Login complete") {
				t.Errorf("success page says %q", got.text)
			}
			if !strings.Contains(got.text, tt.target) {
				t.Errorf("page does not name %s: %q", tt.target, got.text)
			}
			if len(got.problems) > 0 {
				t.Errorf("console errors or CSP violations:\n%s", strings.Join(got.problems, "\n"))
			}
			if got.innerWidth != phoneWidth || got.scrollWidth > phoneWidth {
				t.Errorf("layout width %d, content width %d: want both %d (a viewport tag, nothing wider)", got.innerWidth, got.scrollWidth, phoneWidth)
			}
			if got.fontPx < 14 {
				t.Errorf("body text is %.1f px, too small to read on a phone", got.fontPx)
			}
			lum := dominantLuminance(t, got.screenshot)
			t.Logf("layout %d px, content %d px, text %.0f px, background luminance %.1f", got.innerWidth, got.scrollWidth, got.fontPx, lum)
			if tt.dark && lum > 0.25 || !tt.dark && lum < 0.75 {
				t.Errorf("dark=%v: the dominant background luminance is %.2f", tt.dark, lum)
			}
		})
	}
}

// seen is what the browser showed at the end of a login.
type seen struct {
	path, query, text string
	innerWidth        int
	scrollWidth       int
	fontPx            float64
	problems          []string // console errors, exceptions, CSP violations on tok's pages
	screenshot        []byte
}

// loginInChromium runs flow.Browser with a new tab of browser as the user's
// browser: it logs in on the provider's page (or, with fail, asks for
// something the provider refuses) and returns what the last page showed.
func loginInChromium(t *testing.T, browser context.Context, op *testop.Server, target string, dark, fail bool) seen {
	t.Helper()
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	var mu sync.Mutex
	var problems []string
	onTok := false // the tab shows one of tok's pages
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		if onTok {
			problems = append(problems, s)
		}
	}
	var listener string // http://127.0.0.1:PORT/ of tok's redirect listener
	err := chromedp.Listen(tab, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventFrameNavigated:
			if ev.Frame.ParentID == "" {
				mu.Lock()
				onTok = listener != "" && strings.HasPrefix(ev.Frame.URL, listener)
				mu.Unlock()
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				note(fmt.Sprintf("console.%s", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			note("exception: " + ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				note(fmt.Sprintf("%s %s: %s (%s)", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("listening to the tab: %v", err)
	}
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	// The pages report CSP violations to themselves; a script added by
	// the DevTools protocol runs whatever the page's policy says.
	const cspWatch = `window.__csp = []; document.addEventListener("securitypolicyviolation",
		e => window.__csp.push("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`
	err = chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tt, cdplog.Enable, cdp.Empty{}); err != nil {
				return err
			}
			if _, err := cdp.Call(ctx, tt, runtime.Enable, cdp.Empty{}); err != nil {
				return err
			}
			if _, err := cdp.Call(ctx, tt, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return err
		}),
		chromedp.EmulateViewport(phoneWidth, 667, chromedp.EmulateScale(2), chromedp.EmulateMobile),
	)
	if err != nil {
		t.Fatalf("preparing the tab: %v", err)
	}

	req := flow.Request{
		OAuth: oauth2.Config{ClientID: testop.PublicClientID, Scopes: []string{"openid", "email"},
			Endpoint: oauth2.Endpoint{AuthURL: op.Issuer + "/authorize", TokenURL: op.Issuer + "/oauth/token"}},
		Issuer: op.Issuer,
		Target: target,
	}
	if fail {
		// OpenID Connect Core §3.1.2.1: none with another prompt value is
		// an invalid_request, which the provider redirects back.
		req.AuthParams = map[string]string{"prompt": "none login"}
	}
	browsed := make(chan error, 1)
	req.OpenBrowser = func(authURL string) (<-chan error, error) {
		u, _ := url.Parse(authURL)
		cb, _ := url.Parse(u.Query().Get("redirect_uri"))
		mu.Lock()
		listener = "http://" + cb.Host + "/"
		mu.Unlock()
		go func() { browsed <- browse(tab, authURL, fail) }()
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, ferr := flow.Browser(ctx, req)
	if err := <-browsed; err != nil {
		t.Fatalf("browsing: %v", err)
	}
	var ae *flow.AuthorizationError
	if fail && !errors.As(ferr, &ae) || !fail && ferr != nil {
		t.Fatalf("flow ended with %v", ferr)
	}

	type measured struct {
		Path, Query, Text       string
		InnerWidth, ScrollWidth int
		FontPx                  float64
		CSP                     []string
	}
	m, err := chromedp.Run(tab, chromedp.Evaluate[measured](`({
		Path: location.pathname, Query: location.search.replace(/^\?/, ""),
		Text: document.body.innerText,
		InnerWidth: window.innerWidth, ScrollWidth: document.documentElement.scrollWidth,
		FontPx: parseFloat(getComputedStyle(document.querySelector("main p")).fontSize),
		CSP: window.__csp,
	})`))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	s := seen{path: m.Path, query: m.Query, text: m.Text, innerWidth: m.InnerWidth, scrollWidth: m.ScrollWidth, fontPx: m.FontPx}
	if s.screenshot, err = chromedp.Run(tab, chromedp.CaptureScreenshot()); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	mu.Lock()
	s.problems = append(problems, m.CSP...)
	mu.Unlock()
	return s
}

// browse opens authURL in tab and, unless the provider is to refuse, logs
// in on its page; it returns once tok's page is shown.
func browse(tab context.Context, authURL string, fail bool) error {
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(authURL)}
	if !fail {
		steps = append(steps,
			chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testop.User),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testop.Password),
			chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		)
	}
	// Only tok's pages have a main element.
	return chromedp.Do(tab, append(steps, chromedp.WaitVisible(chromedp.CSS(`main h1`)))...)
}

// dominantLuminance is the relative luminance (0 black .. 1 white) shared
// by the most pixels of a PNG screenshot, in tenths: the page's background.
func dominantLuminance(t *testing.T, shot []byte) float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	var buckets [11]int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			buckets[int(luminance(img, x, y)*10+0.5)]++
		}
	}
	best := 0
	for i, n := range buckets {
		if n > buckets[best] {
			best = i
		}
	}
	return float64(best) / 10
}

// luminance is the Rec. 709 luma of a pixel, without gamma correction:
// enough to tell a light page from a dark one.
func luminance(img image.Image, x, y int) float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}
