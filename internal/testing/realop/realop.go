// Package realop runs the real OpenID provider that tok's tests and `make
// bench` use and that is not tok's code: node oidc-provider, driven by the
// scripts in testdata/realop (installed by testdata/realop/install.sh).
//
// The provider listens on 127.0.0.1 only; its development login page
// accepts any user and password, and Browse plays that user.
package realop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// ErrMissing is returned by Start when node or the oidc-provider module is
// not installed; its text says how to install them.
var ErrMissing = errors.New("no real provider: run sh testdata/realop/install.sh")

// Server is a running testdata/realop script.
type Server struct {
	// Issuer is the provider's issuer URL, http://127.0.0.1:PORT.
	Issuer string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
}

// Dir is the absolute path of testdata/realop, found from the working
// directory upwards (the module's root holds go.mod).
func Dir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "realop"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("realop: not inside tok's module")
		}
		dir = parent
	}
}

// Version is the installed oidc-provider's version, e.g. "9.13.3".
func Version() string {
	dir, err := Dir()
	if err != nil {
		return "?"
	}
	var pkg struct{ Version string }
	b, _ := os.ReadFile(filepath.Join(dir, "node_modules", "oidc-provider", "package.json"))
	if json.Unmarshal(b, &pkg) != nil || pkg.Version == "" {
		return "?"
	}
	return pkg.Version
}

// Start runs script (a file of testdata/realop, e.g. "server.mjs") with
// env added to the process's environment, and returns once it serves.
// Errors: ErrMissing without node or the module; otherwise the script's
// failure to start within 20 s. Close stops it.
func Start(script string, env ...string) (*Server, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil || serr != nil {
		return nil, ErrMissing
	}
	cmd := exec.Command(node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
	}()
	var hello struct{ Issuer string }
	select {
	case l := <-line:
		if json.Unmarshal([]byte(l), &hello) != nil || hello.Issuer == "" {
			s.Close()
			return nil, fmt.Errorf("realop: %s did not start: %q", script, l)
		}
	case <-time.After(20 * time.Second):
		s.Close()
		return nil, fmt.Errorf("realop: %s did not start within 20s", script)
	}
	s.Issuer = hello.Issuer
	return s, nil
}

// Close ends the provider (it exits when its stdin closes) and kills it
// when it has not exited within 5 s.
func (s *Server) Close() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// GetJSON decodes the JSON document at the issuer's path (e.g.
// "/.well-known/openid-configuration") into v.
func (s *Server) GetJSON(path string, v any) error {
	resp, err := http.Get(s.Issuer + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// SetAccessTTL sets the lifetime of the access tokens issued from now on
// (whole seconds).
func (s *Server) SetAccessTTL(d time.Duration) error {
	return s.GetJSON(fmt.Sprintf("/__test/ttl?s=%d", int(d.Seconds())), &struct{}{})
}

// Counts is the number of successful token requests per grant_type and,
// under "errors", of failed ones of any grant.
func (s *Server) Counts() (map[string]int, error) {
	var c map[string]int
	err := s.GetJSON("/__test/counts", &c)
	return c, err
}

var formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)

// Browse plays a user at the authorization URL page: it signs in at
// oidc-provider's development login page as user, consents, and follows
// the redirect to the client (tok's loopback callback). Errors are those
// of the HTTP requests; at most six pages are visited.
func Browse(ctx context.Context, page, user string) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	get, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(get)
	for step := 0; err == nil && step < 6; step++ {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := formAction.FindSubmatch(body)
		if m == nil {
			return nil // the client's callback page: done
		}
		action, perr := resp.Request.URL.Parse(string(m[1]))
		if perr != nil {
			return perr
		}
		form := url.Values{"prompt": {"consent"}}
		if strings.Contains(string(body), `name="login"`) {
			form = url.Values{"prompt": {"login"}, "login": {user}, "password": {"any"}}
		}
		resp, err = client.PostForm(action.String(), form)
	}
	if err != nil {
		return err
	}
	return errors.New("realop: the login pages did not end at the client within six steps")
}
