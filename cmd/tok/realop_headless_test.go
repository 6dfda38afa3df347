//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The "done when", against a real provider that is not tok's code
// (node oidc-provider, testdata/realop/headless.mjs), on a host without
// D-Bus: under CI=true tok login picks the device flow and succeeds once
// a person approves the code; client credentials work with the secret only
// in the environment; the file store takes its passphrase from a file.

// startHeadlessOP runs testdata/realop/headless.mjs and returns its issuer.
func startHeadlessOP(t *testing.T) string {
	t.Helper()
	return startNodeOP(t, "headless.mjs").issuer
}

var pageForm = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>`)
var pageInput = regexp.MustCompile(`<input[^>]*>`)
var inputAttr = regexp.MustCompile(`\b(name|value)="([^"]*)"`)

// approveRealDevice plays the person at oidc-provider's pages: it opens
// the verification URI, submits the code, signs in, consents and confirms
// the device (or aborts when approve is false).
func approveRealDevice(ctx context.Context, uri, code string, approve bool) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	resp, err := client.Do(req)
	for step := 0; err == nil && step < 8; step++ {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if strings.Contains(page, "Sign-in Success") || !approve && strings.Contains(page, "request was interrupted") {
			return nil
		}
		m := pageForm.FindStringSubmatch(page)
		if m == nil {
			return fmt.Errorf("unexpected page at %s (HTTP %d)", resp.Request.URL, resp.StatusCode)
		}
		form := url.Values{}
		for _, in := range pageInput.FindAllString(m[2], -1) {
			var name, value string
			for _, a := range inputAttr.FindAllStringSubmatch(in, -1) {
				if a[1] == "name" {
					name = a[2]
				} else {
					value = a[2]
				}
			}
			if name != "" {
				form.Set(name, value)
			}
		}
		switch {
		case form.Has("user_code") && form.Has("confirm"):
			if !approve {
				form.Del("confirm")
				form.Set("abort", "yes")
			}
		case form.Has("user_code"):
			form.Set("user_code", code)
		case form.Has("login"):
			form.Set("login", "alice")
			form.Set("password", "any")
		}
		action, _ := resp.Request.URL.Parse(m[1])
		resp, err = client.PostForm(action.String(), form)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("the device pages did not end in success")
}

func TestRealProviderHeadless(t *testing.T) {
	t.Parallel()
	issuer := startHeadlessOP(t)
	pass := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pass, []byte("a mounted secret\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("providers:\n  real:\n    issuer: %s\n    client_id: tok-device\n    scopes: [openid, offline_access]\n", issuer)
	// No D-Bus, no keyring, no display: a CI runner or a container.
	h := newTokEnv(t, withConfig(cfg), withoutStoreSecret(),
		withEnv("TOK_PASSPHRASE_FILE="+pass, "CI=true", "XDG_RUNTIME_DIR="+filepath.Join(t.TempDir(), "run")))

	t.Run("device flow under CI", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := h.command(ctx, "login", "real")
		pipe, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stderr := watchStream(pipe)
		m := stderr.waitFor(t, codeLine)
		if err := approveRealDevice(ctx, m[1], m[2], true); err != nil {
			t.Fatalf("approving: %v\n%s", err, stderr)
		}
		<-stderr.done
		if err := cmd.Wait(); err != nil {
			t.Fatalf("tok login: %v\n%s", err, stderr)
		}
		out := stderr.String()
		if !strings.Contains(out, "tok: using the device flow (CI is set)") || !strings.Contains(out, "logged in to real") {
			t.Errorf("stderr:\n%s", out)
		}
		tok1, serr, code := h.result("print", "real")
		if code != 0 || len(strings.TrimSpace(tok1)) < 16 {
			t.Fatalf("print: exit %d\n%s", code, serr)
		}
		if _, serr, code := h.result("refresh", "real"); code != 0 {
			t.Fatalf("refresh with the real provider: exit %d\n%s", code, serr)
		}
		tok2, _, _ := h.result("print", "real")
		if tok2 == tok1 {
			t.Error("refresh brought no new token")
		}
	})

	t.Run("denied", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := h.command(ctx, "login", "real:other")
		pipe, _ := cmd.StderrPipe()
		cmd.Start()
		stderr := watchStream(pipe)
		m := stderr.waitFor(t, codeLine)
		if err := approveRealDevice(ctx, m[1], m[2], false); err != nil {
			t.Fatalf("denying: %v", err)
		}
		<-stderr.done
		if err := cmd.Wait(); err == nil || !strings.Contains(stderr.String(), "denied") {
			t.Fatalf("tok login after abort: %v\n%s", err, stderr)
		}
	})

	t.Run("client credentials from the environment only", func(t *testing.T) {
		env := h.with("XDG_CONFIG_HOME="+filepath.Join(h.dir, "empty"),
			"TOK_CI_ISSUER="+issuer, "TOK_CI_CLIENT_ID=tok-ci", "TOK_CI_CLIENT_SECRET=tok-ci-secret",
			"TOK_CI_FLOW=client_credentials", "TOK_CI_SCOPES=api:read")
		out, serr, code := env.result("print", "ci", "--format", "json")
		if code != 0 || !strings.Contains(out, `"access_token"`) || !strings.Contains(out, `"api:read"`) {
			t.Fatalf("print ci: exit %d\n%s\n%s", code, out, serr)
		}
		if strings.Contains(out+serr, "tok-ci-secret") {
			t.Error("the client secret shows in tok's output")
		}
		var doc struct {
			AccessToken string `json:"access_token"`
		}
		json.Unmarshal([]byte(out), &doc)
		again, _, _ := env.result("print", "ci")
		if strings.TrimSpace(again) != doc.AccessToken {
			t.Error("a fresh client credentials token was not reused")
		}
	})
}
