package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCommands["gitserve"] = cmdGitServe
}

// gitServer is git's own http-backend behind a handler that takes only a
// password the provider's userinfo endpoint accepts.
type gitServer struct {
	addr, port string // 127.0.0.1:PORT, PORT
	close      func()
	log        string

	mu         sync.Mutex
	rejectNext bool
}

// gitServers are the scripts' servers, by $WORK.
var gitServers sync.Map

// gitserve FILE... serves a bare repository repo.git (one commit) with
// `git http-backend` on 127.0.0.1 for the rest of the script, sets
// GITURL=http://127.0.0.1:PORT and GITPORT, and writes 127.0.0.1:PORT over
// GITHOST in each FILE (and sets GITHOST). Each authenticated request
// appends "accepted USER SUB DIGEST" or "rejected USER SUB DIGEST" (SUB:
// whose token it was, by the provider's userinfo; DIGEST: the token's) to
// $WORK/gitserve.log; gitserve saw VERDICT USER TOKENFILE checks for a line
// about the token in TOKENFILE.
// gitserve reject-next refuses the next request whatever its password, as
// a server does with a token it revoked.
func cmdGitServe(ts *testscript.TestScript, neg bool, args []string) {
	work := ts.Getenv("WORK")
	if len(args) == 4 && args[0] == "saw" {
		// gitserve saw VERDICT USER TOKENFILE: the log has that verdict for
		// the token held in TOKENFILE (tok print's output).
		tok, err := os.ReadFile(ts.MkAbs(args[3]))
		ts.Check(err)
		log, _ := os.ReadFile(filepath.Join(work, "gitserve.log"))
		want := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(args[1]) + " " + regexp.QuoteMeta(args[2]) + ` \S+ ` + digest(string(tok)) + `$`)
		if want.Match(log) == neg {
			ts.Fatalf("gitserve saw %s %s %s: wrong (negated: %v); log:\n%s", args[1], args[2], args[3], neg, log)
		}
		return
	}
	if len(args) == 1 && args[0] == "reject-next" {
		v, ok := gitServers.Load(work)
		if !ok {
			ts.Fatalf("gitserve reject-next: no server")
		}
		s := v.(*gitServer)
		s.mu.Lock()
		s.rejectNext = true
		s.mu.Unlock()
		return
	}
	s, err := startGitForge(work, server(ts).Issuer+"/userinfo")
	ts.Check(err)
	gitServers.Store(work, s)
	ts.Defer(s.close)
	ts.Setenv("GITURL", "http://"+s.addr)
	ts.Setenv("GITPORT", s.port)
	ts.Setenv("GITHOST", s.addr)
	for _, f := range args {
		replaceInFile(ts, f, "GITHOST", s.addr)
	}
}

// startGitForge serves work/srv/repo.git (one commit) with `git
// http-backend` on 127.0.0.1, admitting only passwords that the userinfo
// endpoint at userinfoURL accepts, and logs to work/gitserve.log.
func startGitForge(work, userinfoURL string) (*gitServer, error) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, err
	}
	root := filepath.Join(work, "srv")
	git := func(dir string, args ...string) error {
		cmd := exec.Command(gitBin, append([]string{"-c", "user.name=t", "-c", "user.email=t@example.test", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+work, "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %v\n%s", args, err, out)
		}
		return nil
	}
	src := filepath.Join(root, "src")
	for _, step := range []func() error{
		func() error { return os.MkdirAll(root, 0o700) },
		func() error { return git(root, "init", "-q", "src") },
		func() error {
			return os.WriteFile(filepath.Join(src, "README"), []byte("hello from the test forge\n"), 0o600)
		},
		func() error { return git(src, "add", "README") },
		func() error { return git(src, "commit", "-q", "-m", "first") },
		func() error { return git(root, "clone", "-q", "--bare", "src", "repo.git") },
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	s := &gitServer{log: filepath.Join(work, "gitserve.log")}
	backend := &cgi.Handler{
		Path: gitBin, Args: []string{"http-backend"}, Dir: root,
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + work},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		if ok && s.admit(r, userinfoURL, user, password) {
			backend.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="tok test forge"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: handler}
	go srv.Serve(l)
	s.close = func() { srv.Close() }
	s.addr = l.Addr().String()
	s.port = fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	return s, nil
}

// admit checks password with the provider's userinfo endpoint and logs
// the outcome with the token's subject.
func (s *gitServer) admit(r *http.Request, userinfoURL, user, password string) bool {
	s.mu.Lock()
	reject := s.rejectNext
	s.rejectNext = false
	s.mu.Unlock()
	sub, ok := userinfoSubject(r, userinfoURL, password)
	verdict := "accepted"
	if reject || !ok {
		verdict, ok = "rejected", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, err := os.OpenFile(s.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		fmt.Fprintf(f, "%s %s %s %s\n", verdict, user, sub, digest(password))
		f.Close()
	}
	return ok
}

// digest names a token in the log: the first 12 hex digits of its SHA-256.
func digest(tok string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return hex.EncodeToString(sum[:6])
}

// userinfoSubject asks the provider's userinfo endpoint whose token
// bearer is.
func userinfoSubject(r *http.Request, userinfoURL, bearer string) (string, bool) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, userinfoURL, nil)
	if err != nil {
		return "", false
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var info struct{ Sub string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil {
		return "", false
	}
	return info.Sub, true
}
