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
	mu         sync.Mutex
	rejectNext bool
	log        string
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
	ts.Setenv("GITHOST", addr.String())
	for _, f := range args {
		replaceInFile(ts, f, "GITHOST", addr.String())
	}
}

// admit checks password with the provider's userinfo endpoint and logs
// the outcome with the token's subject.
func (s *gitServer) admit(r *http.Request, issuer, user, password string) bool {
	s.mu.Lock()
	reject := s.rejectNext
	s.rejectNext = false
	s.mu.Unlock()
	sub, ok := userinfoSubject(r, issuer, password)
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

// userinfoSubject asks the provider whose token bearer is.
func userinfoSubject(r *http.Request, issuer, bearer string) (string, bool) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, issuer+"/userinfo", nil)
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
