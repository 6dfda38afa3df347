package testop

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// registerPath is the RFC 7591 dynamic client registration endpoint. The
// op package has none; testop adds one for native public clients, as MCP
// servers' authorization servers offer, and names it in its metadata.
const registerPath = "/register"

// dynamicClients are the clients registered at registerPath.
type dynamicClients struct {
	mu sync.Mutex
	m  map[string]*client
	n  int // registrations ever made
}

func (d *dynamicClients) get(id string) *client {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[id]
}

// register implements RFC 7591 §3 for native clients without a secret,
// with exact loopback redirect URIs.
func (d *dynamicClients) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RedirectURIs []string `json:"redirect_uris"`
		AuthMethod   string   `json:"token_endpoint_auth_method"`
		ClientName   string   `json:"client_name"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req) != nil {
		registrationError(w, "invalid_client_metadata", "POST a JSON client metadata document")
		return
	}
	if req.AuthMethod != "" && req.AuthMethod != "none" {
		registrationError(w, "invalid_client_metadata", "only token_endpoint_auth_method none is supported")
		return
	}
	if len(req.RedirectURIs) == 0 {
		registrationError(w, "invalid_redirect_uri", "redirect_uris is required")
		return
	}
	for _, u := range req.RedirectURIs {
		if _, ok := op.HTTPLoopbackOrLocalhost(u); !ok {
			registrationError(w, "invalid_redirect_uri", "only loopback redirect URIs are supported")
			return
		}
	}
	c := &client{
		id: "dyn-" + rand.Text()[:12], appType: op.ApplicationTypeNative, authMethod: oidc.AuthMethodNone,
		redirects: req.RedirectURIs, grants: []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken},
	}
	d.mu.Lock()
	if d.m == nil {
		d.m = map[string]*client{}
	}
	d.m[c.id] = c
	d.n++
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{
		"client_id": c.id, "client_id_issued_at": time.Now().Unix(), "client_name": req.ClientName,
		"redirect_uris": req.RedirectURIs, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "application_type": "native",
	})
}

func registrationError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// withRegistrationEndpoint adds registration_endpoint to the metadata
// documents h serves.
func withRegistrationEndpoint(h http.Handler, endpoint string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || (r.URL.Path != "/.well-known/openid-configuration" && r.URL.Path != "/.well-known/oauth-authorization-server") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var doc map[string]any
		if rec.Code == http.StatusOK && json.Unmarshal(body, &doc) == nil {
			doc["registration_endpoint"] = endpoint
			body, _ = json.Marshal(doc)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		bytes.NewReader(body).WriteTo(w)
	})
}

// logResources wraps h to record the RFC 8707 resource parameter of
// authorization requests (as "authorize") and token requests (by
// grant_type).
func (s *Server) logResources(h http.Handler, authPath, tokenPath string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind, values := "", url.Values(nil)
		switch {
		case r.Method == http.MethodGet && r.URL.Path == authPath:
			kind, values = "authorize", r.URL.Query()
		case r.Method == http.MethodPost && r.URL.Path == tokenPath:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
			if err != nil {
				http.Error(w, "cannot read body", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			values, _ = url.ParseQuery(string(body))
			kind = values.Get("grant_type")
		}
		if kind != "" {
			s.mu.Lock()
			if s.resources == nil {
				s.resources = map[string][]string{}
			}
			s.resources[kind] = append(s.resources[kind], values.Get("resource"))
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// Resources returns the resource parameter of every authorization request
// (kind "authorize") or token request with grant_type kind, "" where there
// was none.
func (s *Server) Resources(kind string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.resources[kind])
}

// Registrations returns how many clients registered dynamically.
func (s *Server) Registrations() int {
	s.storage.dynamic.mu.Lock()
	defer s.storage.dynamic.mu.Unlock()
	return s.storage.dynamic.n
}

// ForgetRegisteredClients forgets every dynamically registered client, as
// a server that lost its registrations: their requests then get
// invalid_client.
func (s *Server) ForgetRegisteredClients() {
	s.storage.dynamic.mu.Lock()
	defer s.storage.dynamic.mu.Unlock()
	clear(s.storage.dynamic.m)
}
