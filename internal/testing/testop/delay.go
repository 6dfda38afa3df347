package testop

import (
	"net/http"
	"net/http/httptest"
	"time"
)

// tokenDelays slow the token endpoint down, so that a test can kill a
// client in the middle of a refresh.
type tokenDelays struct {
	before, after time.Duration
	held          int
	release       chan struct{} // closed by ReleaseHeld; nil until then
}

// SetTokenDelay holds every token request for d before the provider sees
// it: a client killed meanwhile has changed nothing at the provider.
func (s *Server) SetTokenDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays.before = d
}

// SetTokenResponseDelay lets the provider handle every token request at
// once (a refresh rotates the refresh token) and holds the response for d:
// a client killed meanwhile has lost the new pair, and the one it stored is
// no longer valid.
func (s *Server) SetTokenResponseDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays.after = d
}

// Held is how many token requests or responses are being held now.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delays.held
}

// serveToken runs the token endpoint h with the delays set.
func (s *Server) serveToken(h http.Handler, w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.delays
	s.mu.Unlock()
	if d.before > 0 && !s.hold(r, d.before) {
		return // the client went away before the provider saw a thing
	}
	if d.after <= 0 {
		h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	s.hold(r, d.after)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// ReleaseHeld ends the wait of every token request held now, so a test
// can hold a refresh for as long as it needs (a long SetTokenDelay) and let
// it go once it has seen what it waits for, instead of racing a fixed delay.
func (s *Server) ReleaseHeld() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.delays.release != nil {
		close(s.delays.release)
		s.delays.release = nil
	}
}

// hold waits d, until ReleaseHeld, or until the client goes away (false).
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	s.mu.Lock()
	s.delays.held++
	if s.delays.release == nil {
		s.delays.release = make(chan struct{})
	}
	release := s.delays.release
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.delays.held--
		s.mu.Unlock()
	}()
	select {
	case <-time.After(d):
		return true
	case <-release:
		return true
	case <-r.Context().Done():
		return false
	}
}
