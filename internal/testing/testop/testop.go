// Package testop runs a real OpenID provider (zitadel's certified op
// package over its example storage) inside a test process, for tok's
// end-to-end tests. It serves plain HTTP on 127.0.0.1 only.
//
// It knows two clients, PublicClientID (native, no secret, loopback
// redirect http://127.0.0.1:ANYPORT/callback) and ConfidentialClientID
// with ConfidentialClientSecret, and the users User/Password and
// OtherUser/OtherPassword.
package testop

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Options tune a Server. The zero value is usable.
type Options struct {
	// AccessTTL is the lifetime of access tokens; 0 means 5 minutes.
	AccessTTL time.Duration
	// RefreshTTL is the lifetime of refresh tokens; 0 means 24 hours.
	RefreshTTL time.Duration
	// DeviceInterval is the device flow poll interval in whole seconds
	// (RFC 8628, section 3.2); 0 means 1s, the shortest clients honour.
	DeviceInterval time.Duration
	// RealSizeTokens issues JWT access tokens of about 2.5 KB and ID
	// tokens of about 1.2 KB, as real providers do, for `make bench`;
	// otherwise access tokens are short opaque strings.
	RealSizeTokens bool
	// Logger receives the provider's logs; nil discards them. The op
	// package logs request errors (invalid_grant, ...) to slog.Default
	// whatever this says; testop leaves the process default alone.
	Logger *slog.Logger
}

// Server is a running provider.
type Server struct {
	// Issuer is http://127.0.0.1:PORT, exactly as discovery reports it.
	Issuer string

	http    *http.Server
	storage *opStorage
	done    chan struct{}

	mu          sync.Mutex
	grants      map[string]int
	resources   map[string][]string // see Resources
	secrets     []string            // see Secrets
	revocations int
	delays      tokenDelays
}

// Start runs a provider on a free port of 127.0.0.1.
func Start(opts Options) (*Server, error) {
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = 5 * time.Minute
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = 24 * time.Hour
	}
	if opts.DeviceInterval < time.Second {
		opts.DeviceInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Issuer:  "http://" + ln.Addr().String(),
		storage: newStorage(opts.AccessTTL, opts.RefreshTTL, opts.RealSizeTokens),
		done:    make(chan struct{}),
		grants:  map[string]int{},
	}
	provider, err := s.newProvider(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.http = &http.Server{Handler: s.routes(provider), ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError)}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

func (s *Server) newProvider(opts Options) (*op.Provider, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	config := &op.Config{
		CryptoKey:             key,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedUILocales:    []language.Tag{language.English},
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime:     5 * time.Minute,
			PollInterval: opts.DeviceInterval,
			UserFormPath: devicePath,
			UserCode:     op.UserCodeBase20,
		},
	}
	return op.NewProvider(config, s.storage, op.StaticIssuer(s.Issuer),
		op.WithAllowInsecure(), // the issuer is http on loopback
		op.WithLogger(opts.Logger),
	)
}

func (s *Server) routes(provider *op.Provider) http.Handler {
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.Handle(loginPath, interceptor.HandlerFunc(loginHandler(s.storage, op.AuthCallbackURL(provider))))
	mux.HandleFunc(devicePath, s.storage.deviceHandler)
	mux.HandleFunc(registerPath, s.storage.dynamic.register)
	mux.Handle("/", withRegistrationEndpoint(s.logResources(provider, provider.AuthorizationEndpoint().Relative(), provider.TokenEndpoint().Relative()), s.Issuer+registerPath))
	return s.recordSecrets(s.count(mux, provider.TokenEndpoint().Relative(), provider.RevocationEndpoint().Relative()))
}

// count wraps h to count token requests by grant_type and revocations.
func (s *Server) count(h http.Handler, tokenPath, revokePath string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == tokenPath:
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "cannot read body", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			s.mu.Lock()
			s.grants[form.Get("grant_type")]++
			s.mu.Unlock()
			s.serveToken(h, w, r)
			return
		case r.URL.Path == revokePath:
			s.mu.Lock()
			s.revocations++
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// Count returns how many POSTs the token endpoint got with grantType, e.g.
// "refresh_token", "authorization_code", "client_credentials" or
// "urn:ietf:params:oauth:grant-type:device_code", whatever their outcome.
func (s *Server) Count(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[grantType]
}

// Revocations returns how many requests the revocation endpoint got.
func (s *Server) Revocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revocations
}

// DropRefreshTokens forgets every refresh token issued so far, so that the
// next refresh fails with invalid_grant as if an administrator revoked it.
func (s *Server) DropRefreshTokens() {
	s.storage.dropRefreshTokens()
}

// SetAccessTTL changes the lifetime of access tokens issued from now on,
// so a test can log in with a token about to expire and then see a
// refresh bring a longer one, without waiting on the clock.
func (s *Server) SetAccessTTL(d time.Duration) {
	s.storage.mu.Lock()
	defer s.storage.mu.Unlock()
	s.storage.accessTTL = d
}

// SetOfflineAccessNeedsConsent makes the server grant offline_access (and
// so a refresh token) only to authorization requests with prompt=consent,
// as node oidc-provider does (OpenID Connect Core §11).
func (s *Server) SetOfflineAccessNeedsConsent(on bool) {
	s.storage.mu.Lock()
	defer s.storage.mu.Unlock()
	s.storage.offlineNeedsConsent = on
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	_ = s.http.Close()
	<-s.done
}
