package testop

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"crypto/rand"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// opStorage keeps the example storage for authorization requests, codes,
// signing keys and user claims, and replaces what it gets wrong for tok's
// tests: it hardcodes clients, a 5 minute access token lifetime and the
// client_credentials users, loses the client id of device flow tokens, and
// hands out device state that it mutates without a lock.
type opStorage struct {
	*storage.Storage
	clients    map[string]*client
	users      users
	accessTTL  time.Duration
	refreshTTL time.Duration
	realSize   bool // see Options.RealSizeTokens
	// offlineNeedsConsent: see Server.SetOfflineAccessNeedsConsent.
	offlineNeedsConsent bool

	mu      sync.Mutex
	access  map[string]*accessToken  // by token id
	refresh map[string]*refreshToken // by token
	devices map[string]*device       // by device code
	codes   map[string]string        // user code to device code

	dynamic dynamicClients // registered at registerPath
}

var (
	_ op.Storage                    = (*opStorage)(nil)
	_ op.ClientCredentialsStorage   = (*opStorage)(nil)
	_ op.DeviceAuthorizationStorage = (*opStorage)(nil)
)

type accessToken struct {
	id, clientID, subject string
	scopes, audience      []string
	expires               time.Time
}

// refreshToken implements op.RefreshTokenRequest. The token is its own id.
type refreshToken struct {
	token, clientID, subject, accessID string
	scopes, audience, amr              []string
	authTime, expires                  time.Time
}

func (r *refreshToken) GetAMR() []string                 { return r.amr }
func (r *refreshToken) GetAudience() []string            { return r.audience }
func (r *refreshToken) GetAuthTime() time.Time           { return r.authTime }
func (r *refreshToken) GetClientID() string              { return r.clientID }
func (r *refreshToken) GetScopes() []string              { return r.scopes }
func (r *refreshToken) GetSubject() string               { return r.subject }
func (r *refreshToken) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// serviceRequest is the token request of the client_credentials grant: the
// client is its own subject.
type serviceRequest struct {
	clientID string
	scopes   []string
}

func (r *serviceRequest) GetSubject() string    { return r.clientID }
func (r *serviceRequest) GetAudience() []string { return []string{r.clientID} }
func (r *serviceRequest) GetScopes() []string   { return r.scopes }
func (r *serviceRequest) GetClientID() string   { return r.clientID }

func newStorage(accessTTL, refreshTTL time.Duration, realSize bool) *opStorage {
	u := newUsers()
	clients := newClients()
	for _, c := range clients {
		c.jwtAccess = realSize
	}
	return &opStorage{
		realSize:   realSize,
		Storage:    storage.NewStorageWithClients(u, map[string]*storage.Client{}),
		clients:    clients,
		users:      u,
		accessTTL:  accessTTL,
		refreshTTL: refreshTTL,
		access:     map[string]*accessToken{},
		refresh:    map[string]*refreshToken{},
		devices:    map[string]*device{},
		codes:      map[string]string{},
	}
}

// CreateAuthRequest drops offline_access from a request without
// prompt=consent when the server is set to (OpenID Connect Core §11), so
// the token response has no refresh token.
func (s *opStorage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	s.mu.Lock()
	strict := s.offlineNeedsConsent
	s.mu.Unlock()
	if strict && !slices.Contains(req.Prompt, oidc.PromptConsent) {
		req.Scopes = slices.DeleteFunc(slices.Clone(req.Scopes), func(sc string) bool { return sc == oidc.ScopeOfflineAccess })
	}
	return s.Storage.CreateAuthRequest(ctx, req, userID)
}

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	if c := s.dynamic.get(id); c != nil {
		return c, nil
	}
	// RFC 6749 §5.2: an unknown client is invalid_client.
	return nil, oidc.ErrInvalidClient().WithDescription("client not found")
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if c, ok := s.clients[id]; ok && c.secret != "" && c.secret == secret {
		return nil
	}
	return errors.New("invalid client id or secret")
}

func (s *opStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	return s.clients[id], nil
}

func (s *opStorage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	return &serviceRequest{clientID: id, scopes: scopes}, nil
}

func clientIDOf(req op.TokenRequest) string {
	if r, ok := req.(interface{ GetClientID() string }); ok {
		return r.GetClientID()
	}
	return ""
}

// newAccessLocked stores a fresh access token for req.
func (s *opStorage) newAccessLocked(req op.TokenRequest) *accessToken {
	t := &accessToken{
		id:       rand.Text(),
		clientID: clientIDOf(req),
		subject:  req.GetSubject(),
		scopes:   req.GetScopes(),
		audience: req.GetAudience(),
		expires:  time.Now().Add(s.accessTTL),
	}
	s.access[t.id] = t
	return t
}

func (s *opStorage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newAccessLocked(req)
	return t.id, t.expires, nil
}

// CreateAccessAndRefreshTokens issues a new refresh token with every access
// token and, on a refresh, invalidates the one presented: strict rotation
// (RFC 9700, section 4.14.2). A rotated token presented again, even by a
// request that raced the one that rotated it, gets invalid_grant.
func (s *opStorage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := &refreshToken{}
	if current != "" {
		old, ok := s.refresh[current]
		if !ok || time.Now().After(old.expires) {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid or was already used")
		}
		delete(s.refresh, current)
		delete(s.access, old.accessID)
		*next = *old // same scopes as before (RFC 6749, section 6)
	} else {
		next.clientID = clientIDOf(req)
		next.subject = req.GetSubject()
		next.scopes = req.GetScopes()
		next.audience = req.GetAudience()
		if r, ok := req.(op.IDTokenRequest); ok {
			next.amr, next.authTime = r.GetAMR(), r.GetAuthTime()
		}
	}
	next.token = rand.Text()
	next.expires = time.Now().Add(s.refreshTTL)
	t := s.newAccessLocked(req)
	next.accessID = t.id
	s.refresh[next.token] = next
	return t.id, next.token, t.expires, nil
}

func (s *opStorage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refresh[token]
	if !ok || time.Now().After(r.expires) {
		return nil, errors.New("refresh token is invalid or was already used")
	}
	cp := *r // the OP narrows the scopes of what it gets
	return &cp, nil
}

func (s *opStorage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refresh[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return r.subject, r.token, nil
}

// RevokeToken implements RFC 7009: revoking a refresh token also revokes
// its access token; an unknown token is not an error (section 2.2).
func (s *opStorage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.access[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.access, tokenOrID)
		return nil
	}
	if r, ok := s.refresh[tokenOrID]; ok {
		if r.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.refresh, tokenOrID)
		delete(s.access, r.accessID)
	}
	return nil
}

func (s *opStorage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, r := range s.refresh {
		if r.subject == userID && r.clientID == clientID {
			delete(s.refresh, id)
		}
	}
	for id, t := range s.access {
		if t.subject == userID && t.clientID == clientID {
			delete(s.access, id)
		}
	}
	return nil
}

// dropRefreshTokens forgets every refresh token.
func (s *opStorage) dropRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
}

// liveAccess returns a copy of an unexpired access token.
func (s *opStorage) liveAccess(id string) (accessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[id]
	if !ok || time.Now().After(t.expires) {
		return accessToken{}, errors.New("token is invalid or expired")
	}
	return *t, nil
}

func (s *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	t, err := s.liveAccess(tokenID)
	if err != nil {
		return err
	}
	return s.SetUserinfoFromRequest(ctx, info, &refreshToken{
		clientID: t.clientID, subject: t.subject, scopes: t.scopes, audience: t.audience,
	}, t.scopes)
}

func (s *opStorage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	t, err := s.liveAccess(tokenID)
	if err != nil {
		return err
	}
	if t.clientID != clientID && !slices.Contains(t.audience, clientID) {
		return errors.New("token is not valid for this client")
	}
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.Subject = t.subject
	resp.Audience = t.audience
	resp.Expiration = oidc.FromTime(t.expires)
	return nil
}
