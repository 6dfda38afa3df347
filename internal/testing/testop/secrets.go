package testop

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
)

// Secrets returns every secret that crossed the provider so far, for leak
// tests: the code, PKCE verifier, device code, refresh token and client
// secret of each token request, and the access, refresh and ID tokens and
// device codes it answered with. It is empty before the first request.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.secrets)
}

func (s *Server) addSecrets(vals ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vals {
		if v != "" && !slices.Contains(s.secrets, v) {
			s.secrets = append(s.secrets, v)
		}
	}
}

// recordSecrets wraps h to collect what Secrets returns from every POST:
// the form, Basic credentials, and the JSON answer.
func (s *Server) recordSecrets(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil {
			for _, k := range []string{"code", "code_verifier", "device_code", "refresh_token", "client_secret"} {
				s.addSecrets(form.Get(k))
			}
		}
		if _, secret, ok := r.BasicAuth(); ok {
			s.addSecrets(secret)
			if u, err := url.QueryUnescape(secret); err == nil {
				s.addSecrets(u)
			}
		}
		rw := &answerRecorder{ResponseWriter: w}
		h.ServeHTTP(rw, r)
		var doc map[string]any
		if json.Unmarshal(rw.body.Bytes(), &doc) == nil {
			for _, k := range []string{"access_token", "refresh_token", "id_token", "device_code"} {
				if v, ok := doc[k].(string); ok {
					s.addSecrets(v)
				}
			}
		}
	})
}

// answerRecorder keeps a copy of what a handler writes.
type answerRecorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (a *answerRecorder) Write(p []byte) (int, error) {
	a.body.Write(p)
	return a.ResponseWriter.Write(p)
}

func (a *answerRecorder) Flush() {
	if f, ok := a.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
