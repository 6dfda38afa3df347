// Package serve is the token endpoint of `tok exec --serve`: a loopback
// HTTP server that hands a long-running child a fresh token whenever it
// asks, so that the child never holds a refresh token and never runs tok
// itself.
//
//	GET /token/TARGET
//	Authorization: Bearer SECRET
//
// TARGET is path-escaped (an MCP server URL becomes one segment). Only the
// targets the server was started with are served; two ways of writing one
// target are one (target.Canonical).
package serve

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tok-cli/tok/internal/target"
	"github.com/tok-cli/tok/internal/tokerr"
)

// Fetch returns the document served for target (as written on tok's
// command line), fresh enough for the child to use.
type Fetch func(ctx context.Context, target string) (any, error)

// Refused is told of a refused request: the target it asked for, as
// written ("" when its path names none), and why, with the HTTP status.
// Never the secret.
type Refused func(target, reason string)

// MaxRefused is how many refusals one Server tells Refused of: a client
// sending bad requests in a loop must not rotate the audit log (README
// "Audit log") out from under the entries that matter.
const MaxRefused = 100

// Server is a running token endpoint.
type Server struct {
	url    string
	secret string
	digest [sha256.Size]byte
	fetch  Fetch
	note   func(msg string)

	refused Refused
	targets map[string]string // canonical form to the target as written
	locks   map[string]*sync.Mutex
	http    *http.Server
	done    chan struct{}

	logOnce  sync.Map     // refusal kinds already noted
	nRefused atomic.Int64 // refusals told to refused
	// fetching counts the fetches under way, which Close waits for: one
	// may be storing a rotated refresh token. closed (under mu) starts
	// no more.
	mu       sync.Mutex
	closed   bool
	fetching sync.WaitGroup
}

// Start listens on a free port of 127.0.0.1 and serves targets. Refused
// and failed requests are told to note, one line each (without "tok: "),
// never with a secret; each refused request, up to MaxRefused, is also
// told to refused. note and refused may be nil.
func Start(targets []string, fetch Fetch, note func(msg string), refused Refused) (*Server, error) {
	if note == nil {
		note = func(string) {}
	}
	if refused == nil {
		refused = func(string, string) {}
	}
	secret, err := newSecret()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot start the token endpoint: %w", err)
	}
	s := &Server{
		url: "http://" + ln.Addr().String(), secret: secret, digest: sha256.Sum256([]byte(secret)),
		fetch: fetch, note: note, refused: refused, targets: map[string]string{}, locks: map[string]*sync.Mutex{},
		done: make(chan struct{}),
	}
	for _, t := range targets {
		c := target.Canonical(t)
		if _, dup := s.targets[c]; !dup {
			s.targets[c] = t
			s.locks[c] = &sync.Mutex{}
		}
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	go func() {
		defer close(s.done)
		s.http.Serve(ln)
	}()
	return s, nil
}

// newSecret is 32 random bytes, base64url without padding.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cannot make a secret for the token endpoint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// URL is http://127.0.0.1:PORT, without a trailing slash.
func (s *Server) URL() string { return s.url }

// Secret is what a client sends as its bearer token.
func (s *Server) Secret() string { return s.secret }

// Close stops listening, drops open connections (which ends the context
// of each fetch under way) and waits for those fetches to return: a
// refresh already sent runs to its end and is stored (token.Manager), so
// that tok does not exit with the login's new refresh token unsaved.
func (s *Server) Close() {
	s.http.Close()
	<-s.done
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.fetching.Wait()
}

// startFetch counts a fetch under way, unless the server is closed.
func (s *Server) startFetch() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.fetching.Add(1)
	return true
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.authorized(r) {
		s.refuse("a request without the right secret", "")
		s.logRefusal(askedFor(r), "a request without the right secret (HTTP 401)")
		w.Header().Set("WWW-Authenticate", `Bearer realm="tok"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer $TOK_SECRET")
		return
	}
	// A browser page cannot know the secret, but say no to it outright.
	if r.Header.Get("Origin") != "" {
		s.refuse("a request from a browser page", "")
		s.logRefusal(askedFor(r), "a request from a browser page (HTTP 403)")
		writeError(w, http.StatusForbidden, "forbidden", "requests from browser pages are refused")
		return
	}
	escaped, ok := strings.CutPrefix(r.URL.EscapedPath(), "/token/")
	if !ok || escaped == "" {
		writeError(w, http.StatusNotFound, "not_found", "use GET /token/TARGET")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
		return
	}
	asked, err := url.PathUnescape(escaped)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_target", "the target is not path-escaped")
		return
	}
	c := target.Canonical(asked)
	arg, ok := s.targets[c]
	if !ok {
		s.refuse("a request for a target tok exec was not given", c)
		s.logRefusal(asked, "a request for a target tok exec was not given (HTTP 403)")
		writeError(w, http.StatusForbidden, "forbidden", "this tok exec does not serve that target")
		return
	}
	s.serveToken(w, r, c, arg)
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, c, arg string) {
	// One fetch at a time per target: a burst of requests then finds the
	// token the first one refreshed.
	if !s.startFetch() {
		writeError(w, http.StatusServiceUnavailable, "closed", "the command has ended")
		return
	}
	s.locks[c].Lock()
	doc, err := s.fetch(r.Context(), arg)
	s.locks[c].Unlock()
	s.fetching.Done()
	if err != nil {
		s.note("token endpoint: " + describe(err))
		status, code := http.StatusBadGateway, "refresh_failed"
		switch tokerr.ExitCode(err) {
		case int(tokerr.LoginNeeded):
			status, code = http.StatusServiceUnavailable, "login_needed"
		case int(tokerr.StoreUnavailable):
			status, code = http.StatusServiceUnavailable, "store_unavailable"
		}
		writeError(w, status, code, describe(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
}

// authorized compares the bearer token with the secret in constant time
// (over digests, so that the length does not leak either).
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(cred)))
	return subtle.ConstantTimeCompare(got[:], s.digest[:]) == 1
}

// refuse logs a refused request once per kind, so that a misbehaving
// client cannot flood the child's terminal.
func (s *Server) refuse(what, asked string) {
	if _, seen := s.logOnce.LoadOrStore(what, true); seen {
		return
	}
	if asked != "" {
		what += " (" + printable(asked) + ")"
	}
	s.note("token endpoint refused " + what)
}

// logRefusal tells refused of one refusal, or of none past MaxRefused.
func (s *Server) logRefusal(asked, reason string) {
	switch n := s.nRefused.Add(1); {
	case n > MaxRefused:
		return
	case n == MaxRefused:
		reason += "; further refusals of this endpoint are not logged"
	}
	s.refused(printable(asked), reason)
}

// askedFor is the target r's path names, unescaped, or "".
func askedFor(r *http.Request) string {
	escaped, ok := strings.CutPrefix(r.URL.EscapedPath(), "/token/")
	asked, err := url.PathUnescape(escaped)
	if !ok || err != nil {
		return ""
	}
	return asked
}

// describe is err as one line with its hint, as tok prints errors.
func describe(err error) string {
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
	if errors.Is(err, context.Canceled) {
		msg = "request cancelled"
	}
	if h := tokerr.HintOf(err); h != "" {
		msg += "; " + h
	}
	return msg
}

func writeError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// printable keeps a client-chosen string from writing control characters
// to the terminal.
func printable(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
