package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
)

// memStore is a SecretStore in memory.
type memStore map[string][]byte

func (m memStore) LoadRaw(_ context.Context, k string) ([]byte, error) {
	if v, ok := m[k]; ok {
		return v, nil
	}
	return nil, store.ErrNotFound
}
func (m memStore) SaveRaw(_ context.Context, k string, v []byte) error { m[k] = v; return nil }
func (m memStore) RemoveRaw(_ context.Context, k string) error         { delete(m, k); return nil }

// registrar is an RFC 7591 registration endpoint that records requests.
type registrar struct {
	mu       sync.Mutex
	requests []registrationRequest
	reply    func(n int, req registrationRequest) (int, string)
}

func (r *registrar) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var body registrationRequest
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || json.NewDecoder(req.Body).Decode(&body) != nil {
		http.Error(w, `{"error":"invalid_client_metadata"}`, http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests = append(r.requests, body)
	n := len(r.requests)
	r.mu.Unlock()
	status, doc := http.StatusCreated, fmt.Sprintf(`{"client_id":"client-%d","redirect_uris":[%q]}`, n, body.RedirectURIs[0])
	if r.reply != nil {
		status, doc = r.reply(n, body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(doc))
}

func (r *registrar) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func newRegistrar(t *testing.T) (*registrar, *provider.Metadata) {
	r := &registrar{}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, &provider.Metadata{Issuer: srv.URL, RegistrationURL: srv.URL + "/register", TokenURL: srv.URL + "/token"}
}

func TestRegisterRequest(t *testing.T) {
	r, md := newRegistrar(t)
	now := time.Unix(1700000000, 0)
	reg, err := Register(context.Background(), http.DefaultClient, md, "http://127.0.0.1:4567/callback", now)
	if err != nil {
		t.Fatal(err)
	}
	got := r.requests[0]
	if got.ClientName != "tok" || got.ApplicationType != "native" || got.AuthMethod != AuthNone ||
		!slices.Equal(got.RedirectURIs, []string{"http://127.0.0.1:4567/callback"}) ||
		!slices.Equal(got.GrantTypes, []string{"authorization_code", "refresh_token"}) ||
		!slices.Equal(got.ResponseTypes, []string{"code"}) {
		t.Errorf("registration request %+v", got)
	}
	want := Registration{Issuer: md.Issuer, ClientID: "client-1", AuthMethod: AuthNone, RedirectURI: "http://127.0.0.1:4567/callback", RegisteredAt: now}
	if *reg != want {
		t.Errorf("registration %+v, want %+v", *reg, want)
	}
}

func TestRegisterAnswers(t *testing.T) {
	tests := []struct {
		name       string
		methods    []string
		status     int
		doc        string
		wantMethod string
		wantSecret string
		wantErr    string
	}{
		{"secret for a public client is dropped", nil, 201, `{"client_id":"c","client_secret":"s"}`, AuthNone, "", ""},
		{"basic when the server only takes that", []string{AuthBasic}, 201, `{"client_id":"c","client_secret":"s","token_endpoint_auth_method":"client_secret_basic"}`, AuthBasic, "s", ""},
		{"server's choice wins", []string{AuthPost, AuthNone}, 201, `{"client_id":"c","client_secret":"s","token_endpoint_auth_method":"client_secret_post"}`, AuthPost, "s", ""},
		{"200 is accepted too", nil, 200, `{"client_id":"c"}`, AuthNone, "", ""},
		{"refusal", nil, 400, `{"error":"invalid_redirect_uri","error_description":"loopback\nonly"}`, "", "", "refused tok: invalid_redirect_uri (loopbackonly)"},
		{"no client id", nil, 201, `{}`, "", "", "returned no client_id"},
		{"not json", nil, 500, `oops`, "", "", "answered HTTP 500"},
		{"no usable method", []string{"private_key_jwt"}, 201, `{"client_id":"c"}`, "", "", "supports none of the token endpoint authentication methods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, md := newRegistrar(t)
			md.TokenAuthMethods = tt.methods
			r.reply = func(int, registrationRequest) (int, string) { return tt.status, tt.doc }
			reg, err := Register(context.Background(), http.DefaultClient, md, RedirectURI(1234), time.Now())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Register: %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reg.AuthMethod != tt.wantMethod || reg.ClientSecret != tt.wantSecret {
				t.Errorf("method %q secret %q, want %q %q", reg.AuthMethod, reg.ClientSecret, tt.wantMethod, tt.wantSecret)
			}
		})
	}
}

// ports stands in for the loopback interface: which ports are busy, and
// which port "any free port" picks next.
type ports struct {
	busy map[int]bool
	next int
}

func (p *ports) clients(md *provider.Metadata, st SecretStore) *Clients {
	return &Clients{
		HTTP: http.DefaultClient, Store: st, Now: time.Now,
		PortFree: func(port int) bool { return !p.busy[port] },
		FreePort: func() (int, error) { p.next++; return p.next, nil },
	}
}

func TestChooseOrder(t *testing.T) {
	_, md := newRegistrar(t)
	p := &ports{next: 40000}
	c := p.clients(md, memStore{})
	ctx := context.Background()

	got, err := c.Choose(ctx, md, Want{ID: "mine", Secret: "s", RedirectPort: 8080, MetadataURL: "https://tok.example/cimd.json"})
	if err != nil || got.Kind != KindConfigured || got.ID != "mine" || got.Secret != "s" || got.RedirectPort != 8080 {
		t.Errorf("configured: %+v, %v", got, err)
	}
	cimd := *md
	cimd.ClientIDMetadataDocumentSupported = true
	got, err = c.Choose(ctx, &cimd, Want{MetadataURL: "https://tok.example/cimd.json"})
	if err != nil || got.Kind != KindMetadataDocument || got.ID != "https://tok.example/cimd.json" {
		t.Errorf("metadata document: %+v, %v", got, err)
	}
	got, err = c.Choose(ctx, md, Want{MetadataURL: "https://tok.example/cimd.json"})
	if err != nil || got.Kind != KindRegistered || got.RedirectURI != RedirectURI(40001) || got.RedirectPort != 40001 {
		t.Errorf("registered (the server takes no metadata document): %+v, %v", got, err)
	}
	bare := &provider.Metadata{Issuer: "https://as.example", ClientIDMetadataDocumentSupported: true}
	var nc *NoClientError
	if _, err := c.Choose(ctx, bare, Want{}); !errors.As(err, &nc) || !nc.CIMDSupported {
		t.Errorf("no way to a client: %v", err)
	}
}

func TestChooseReusesRegistration(t *testing.T) {
	r, md := newRegistrar(t)
	p := &ports{busy: map[int]bool{}, next: 40000}
	st := memStore{}
	c := p.clients(md, st)
	ctx := context.Background()

	first, err := c.Choose(ctx, md, Want{})
	if err != nil || first.Reused {
		t.Fatalf("first: %+v, %v", first, err)
	}
	if _, ok := st[RegistrationKey(md.Issuer, first.RedirectURI)]; !ok {
		t.Fatalf("registration not stored under %q: %v", RegistrationKey(md.Issuer, first.RedirectURI), st)
	}
	again, err := c.Choose(ctx, md, Want{Known: []string{first.RedirectURI}})
	if err != nil || !again.Reused || again.ID != first.ID || again.RedirectPort != first.RedirectPort || r.count() != 1 {
		t.Errorf("second login: %+v, %v, %d registrations; want the first reused", again, err, r.count())
	}
	// The registered port is busy: register again, on another port.
	p.busy[first.RedirectPort] = true
	busy, err := c.Choose(ctx, md, Want{Known: []string{first.RedirectURI}})
	if err != nil || busy.Reused || busy.ID == first.ID || busy.RedirectPort == first.RedirectPort || r.count() != 2 {
		t.Errorf("port busy: %+v, %v, %d registrations", busy, err, r.count())
	}
	// Both registrations are kept: each login refreshes with its own.
	if len(st) != 2 {
		t.Errorf("store holds %d registrations, want 2", len(st))
	}
	// A configured redirect port other than the registered one.
	other, err := c.Choose(ctx, md, Want{Known: []string{busy.RedirectURI}, RedirectPort: 5555})
	if err != nil || other.Reused || other.RedirectPort != 5555 {
		t.Errorf("configured port: %+v, %v", other, err)
	}
}

func TestChooseSkipsExpiredSecret(t *testing.T) {
	r, md := newRegistrar(t)
	md.TokenAuthMethods = []string{AuthBasic}
	r.reply = func(n int, req registrationRequest) (int, string) {
		return 201, fmt.Sprintf(`{"client_id":"c%d","client_secret":"s","client_secret_expires_at":1000}`, n)
	}
	p := &ports{next: 40000}
	c := p.clients(md, memStore{})
	first, err := c.Choose(context.Background(), md, Want{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Choose(context.Background(), md, Want{Known: []string{first.RedirectURI}})
	if err != nil || second.Reused || r.count() != 2 {
		t.Errorf("a registration whose secret expired was reused: %+v, %v", second, err)
	}
}

func TestReplace(t *testing.T) {
	r, md := newRegistrar(t)
	p := &ports{busy: map[int]bool{}, next: 40000}
	st := memStore{}
	c := p.clients(md, st)
	ctx := context.Background()
	old, err := c.Choose(ctx, md, Want{})
	if err != nil {
		t.Fatal(err)
	}
	repl, err := c.Replace(ctx, md, old)
	if err != nil || repl.ID == old.ID || repl.RedirectURI != old.RedirectURI || r.count() != 2 {
		t.Fatalf("Replace: %+v, %v; want a new client on the same redirect URI", repl, err)
	}
	reg, err := c.Load(ctx, md.Issuer, repl.RedirectURI)
	if err != nil || reg.ClientID != repl.ID {
		t.Errorf("stored %+v, %v; want the new registration", reg, err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	st := memStore{RegistrationKey("https://as", RedirectURI(1)): []byte("{not json")}
	c := &Clients{Store: st}
	if _, err := c.Load(context.Background(), "https://as", RedirectURI(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Load of garbage: %v, want ErrNotFound", err)
	}
}
