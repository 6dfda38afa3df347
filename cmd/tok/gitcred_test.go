package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCommands["gitserve"] = cmdGitServe
}

// gitServer is git's own http-backend behind a handler that takes only a
// password the provider's userinfo endpoint accepts.
type gitServer struct {
	mu         sync.Mutex
	rejectNext bool
	log        string
}

// gitServers are the scripts' servers, by $WORK.
var gitServers sync.Map

// gitserve FILE... serves a bare repository repo.git (one commit) with
// `git http-backend` on 127.0.0.1 for the rest of the script, sets
// GITURL=http://127.0.0.1:PORT and GITPORT, and writes 127.0.0.1:PORT over
// GITHOST in each FILE. Each authenticated request appends "accepted USER
// SHA" or "rejected USER SHA" (the token's digest) to $WORK/gitserve.log.
// gitserve reject-next refuses the next request whatever its password, as
// a server does with a token it revoked.
func cmdGitServe(ts *testscript.TestScript, neg bool, args []string) {
	work := ts.Getenv("WORK")
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
	gitBin, err := exec.LookPath("git")
	ts.Check(err)
	root := filepath.Join(work, "srv")
	git := func(dir string, args ...string) {
		cmd := exec.Command(gitBin, append([]string{"-c", "user.name=t", "-c", "user.email=t@example.test", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+work, "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			ts.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	ts.Check(os.MkdirAll(root, 0o700))
	git(root, "init", "-q", "src")
	ts.Check(os.WriteFile(filepath.Join(root, "src", "README"), []byte("hello from the test forge\n"), 0o600))
	git(filepath.Join(root, "src"), "add", "README")
	git(filepath.Join(root, "src"), "commit", "-q", "-m", "first")
	git(root, "clone", "-q", "--bare", "src", "repo.git")

	op := server(ts)
	s := &gitServer{log: filepath.Join(work, "gitserve.log")}
	gitServers.Store(work, s)
	backend := &cgi.Handler{
		Path: gitBin, Args: []string{"http-backend"}, Dir: root,
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + work},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		if ok && s.admit(r, op.Issuer, user, password) {
			backend.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="tok test forge"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: handler}
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	addr := l.Addr().(*net.TCPAddr)
	ts.Setenv("GITURL", "http://"+addr.String())
	ts.Setenv("GITPORT", fmt.Sprint(addr.Port))
	for _, f := range args {
		replaceInFile(ts, f, "GITHOST", addr.String())
	}
}

// admit checks password with the provider and logs the outcome.
func (s *gitServer) admit(r *http.Request, issuer, user, password string) bool {
	s.mu.Lock()
	reject := s.rejectNext
	s.rejectNext = false
	s.mu.Unlock()
	ok := !reject && userinfoAccepts(r, issuer, password)
	verdict := "accepted"
	if !ok {
		verdict = "rejected"
	}
	sum := sha256.Sum256([]byte(password))
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, err := os.OpenFile(s.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		fmt.Fprintf(f, "%s %s %s\n", verdict, user, hex.EncodeToString(sum[:6]))
		f.Close()
	}
	return ok
}
