package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// Narrowed tokens (README "Narrowed tokens for agents"): an access token
// limited to a subset of a login's granted scopes, got by a refresh
// request with `scope` (RFC 6749 §6) or by RFC 8693 token exchange. The
// login keeps its full grant; the narrowed tokens of a login are cached in
// one store entry next to it, keyed by scope set, and written only under
// the login's lock.

// NarrowedKey is the store key of a login's narrowed-token cache.
func NarrowedKey(t Target) string { return "narrowed:" + t.Key() }

// narrowedCache maps a scope set (ScopeSet) to its token.
type narrowedCache map[string]*narrowedEntry

// narrowedEntry is a cached narrowed token. IssuedWith identifies the
// refresh token that came with it (audit.TokenID): a provider with strict
// rotation may end the access token when that refresh token is used, so
// the entry is dropped then.
type narrowedEntry struct {
	*store.Record
	IssuedWith string `json:"issued_with,omitempty"`
}

// ScopeSet is the canonical form of a list of scopes: sorted, without
// duplicates, space-separated (RFC 6749 §3.3).
func ScopeSet(scopes []string) string {
	s := slices.Clone(scopes)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), " ")
}

// NotGranted lists the scopes of want that granted lacks.
func NotGranted(want, granted []string) []string {
	var out []string
	for _, s := range want {
		if !slices.Contains(granted, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ErrNotNarrowed marks a response whose scope is broader than asked: its
// token is never handed out.
var ErrNotNarrowed = errors.New("the provider does not narrow scopes")

// NotNarrowedError is ErrNotNarrowed with what was refused. TokenSHA256
// identifies the refused token in the audit log (audit.TokenID: the
// first 12 hex digits of its SHA-256), never the token itself.
type NotNarrowedError struct {
	Provider    string
	Want        []string // the scopes asked
	Broader     []string // the scopes granted beyond them
	TokenSHA256 string
}

func (e *NotNarrowedError) Error() string {
	return fmt.Sprintf("%v: %s asked for %s and got %s as well; the token was not handed out",
		ErrNotNarrowed, e.Provider, ScopeSet(e.Want), strings.Join(e.Broader, " "))
}

func (e *NotNarrowedError) Unwrap() error { return ErrNotNarrowed }

// Narrowed returns a token of t limited to want, with at least minTTL
// left: from the cache when it holds one, else minted and cached. Errors:
// a usage error naming scopes the login was not granted, ErrNotNarrowed
// (wrapped) when the provider answers with broader scopes, and those of
// Fresh, whose rule for an interruption holds here too.
func (m *Manager) Narrowed(ctx context.Context, t Target, p *provider.Provider, want []string, minTTL time.Duration) (*store.Record, error) {
	rec, err := m.narrowed(ctx, t, p, want, minTTL)
	return interrupted(ctx, rec, err)
}

func (m *Manager) narrowed(ctx context.Context, t Target, p *provider.Provider, want []string, minTTL time.Duration) (*store.Record, error) {
	key := ScopeSet(want)
	var seen *store.Record
	if c, err := m.loadNarrowed(ctx, t); err == nil {
		if e := c[key]; e != nil {
			if seen = e.Record; seen.TTL(m.Now()) > minTTL || noBetter(seen, minTTL, m.Now()) {
				return seen, nil
			}
		}
	}
	unlock, err := m.Locks.Lock(ctx, t.Key())
	if err != nil {
		return nil, err
	}
	defer unlock()
	// The cache first: a waiter whose token another process minted
	// meanwhile reads one record under the lock, not two. An entry was
	// checked against the login's grant when it was minted, and goes
	// with the login (logout, login, import).
	// cur is the cached token, handed out when minting fails for a
	// reason that may pass (README "Transient failures never withhold a
	// valid token").
	var cur *store.Record
	if c, _ := m.loadNarrowed(ctx, t); c != nil {
		if e := c[key]; e != nil {
			cur = e.Record
			// Another process minted one while this one waited (an
			// entry it had not seen, or none before): the freshest the
			// provider gives now, whatever minTTL says.
			if r := e.Record; r.TTL(m.Now()) > minTTL || noBetter(r, minTTL, m.Now()) || ((seen == nil || r.AccessToken != seen.AccessToken) && r.TTL(m.Now()) > 0) {
				return r, nil
			}
		}
	}
	login, err := m.loginForNarrowing(ctx, t, p, want)
	if err != nil {
		return nil, err
	}
	next, with, err := m.mint(ctx, t, p, login, want)
	if err != nil {
		return m.orStillValid(t, cur, false, nil, err)
	}
	// Read the cache again: mint may have dropped entries that came
	// with the refresh token it rotated.
	c, _ := m.loadNarrowed(ctx, t)
	if c == nil {
		c = narrowedCache{}
	}
	for k, e := range c {
		if e.TTL(m.Now()) <= 0 {
			delete(c, k)
		}
	}
	next.RefreshedFor = minTTL
	c[key] = &narrowedEntry{Record: next, IssuedWith: with}
	if err := m.saveNarrowed(ctx, t, c); err != nil {
		return nil, fmt.Errorf("narrowed a token of %s but could not cache it: %w", t, err)
	}
	return next, nil
}

// MintNarrowed returns a new token of t limited to want (all granted
// scopes when want is empty) that no other process is handed: for exec
// --revoke-on-exit, which revokes it when its command exits. When ctx
// ends after the request went out, the token comes back with ctx's error,
// for the caller to revoke.
func (m *Manager) MintNarrowed(ctx context.Context, t Target, p *provider.Provider, want []string) (*store.Record, error) {
	rec, err := m.mintNarrowed(ctx, t, p, want)
	if err == nil && ctx.Err() != nil {
		return rec, ctx.Err()
	}
	return rec, err
}

func (m *Manager) mintNarrowed(ctx context.Context, t Target, p *provider.Provider, want []string) (*store.Record, error) {
	unlock, err := m.Locks.Lock(ctx, t.Key())
	if err != nil {
		return nil, err
	}
	defer unlock()
	login, err := m.loginForNarrowing(ctx, t, p, want)
	if err != nil {
		return nil, err
	}
	if len(want) == 0 {
		want = login.Scopes
	}
	next, _, err := m.mint(ctx, t, p, login, want)
	return next, err
}

// loginForNarrowing loads t's login under its lock and checks that want
// is within its grant. A client credentials provider needs no stored
// login: its grant is its configured scopes.
func (m *Manager) loginForNarrowing(ctx context.Context, t Target, p *provider.Provider, want []string) (*store.Record, error) {
	login, err := m.load(ctx, t)
	cc := p.Flow == config.FlowClientCredentials
	switch {
	case cc && (err == nil || errors.Is(err, store.ErrNotFound)):
		if missing := NotGranted(want, p.Scopes); len(missing) > 0 {
			return nil, tokerr.New(tokerr.Usage, "%s is not configured for %s (scopes: %s)", t, strings.Join(missing, ", "), strings.Join(p.Scopes, " ")).
				WithHint("add them to %s in the config file", config.KeyPath(p.Name, "scopes"))
		}
		return &store.Record{Scopes: p.Scopes}, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, m.NothingStored(t)
	case err != nil:
		return nil, err
	}
	if missing := NotGranted(want, login.Scopes); len(missing) > 0 {
		return nil, tokerr.New(tokerr.Usage, "%s was not granted %s (granted: %s)", t, strings.Join(missing, ", "), strings.Join(login.Scopes, " ")).
			WithHint("narrow to granted scopes, or log in with them: tok login %s --scope %s", t, strings.Join(missing, " --scope "))
	}
	return login, nil
}

// clientCredentialsNarrowed asks for a client credentials token with
// scope want (RFC 6749 §4.4.2); there is no login to keep.
func (m *Manager) clientCredentialsNarrowed(ctx context.Context, p *provider.Provider, md *provider.Metadata, want []string) (*store.Record, error) {
	if p.ClientSecret == "" {
		return nil, tokerr.New(tokerr.Usage, "provider %s uses client_credentials but has no client secret", p.Name).
			WithHint("set %s in the config file, or %s", config.KeyPath(p.Name, "client_secret"), config.EnvVar(p.Name, "CLIENT_SECRET"))
	}
	tok, err := flow.ClientCredentials(ctx, flow.Request{OAuth: *OAuthConfig(p, md, want), TokenParams: TokenParams(p), HTTPClient: m.HTTP, Provider: p.Name})
	if err != nil {
		return nil, fmt.Errorf("client credentials for %s: %w", p.Name, flow.ByProvider(p.Name, err))
	}
	next := RecordFrom(tok, want, m.Now())
	next.RefreshToken, next.IDToken = "", ""
	next.Issuer, next.ClientID = md.Issuer, p.ClientID
	AssumeExpiry(next, p)
	return next, nil
}

// mint asks the provider for a token limited to want: by token exchange
// where the provider offers it and the config allows it, else by a
// refresh request with scope. A rotated refresh token is stored in the
// login before anything else, under the lock the caller holds; with is
// the id of the refresh token the new token came with, "" for none.
func (m *Manager) mint(ctx context.Context, t Target, p *provider.Provider, login *store.Record, want []string) (next *store.Record, with string, err error) {
	if err := m.beforeRequest(ctx, p); err != nil {
		return nil, "", err
	}
	cc := p.Flow == config.FlowClientCredentials
	if !cc {
		if err := checkBound(t, p, nil, login); err != nil {
			return nil, "", err
		}
	}
	md, err := m.Discover.Endpoints(ctx, p)
	if err != nil {
		return nil, "", err
	}
	if !cc {
		if err := checkBound(t, p, md, login); err != nil {
			return nil, "", err
		}
	}
	switch {
	case p.Flow == config.FlowClientCredentials:
		next, err = m.clientCredentialsNarrowed(ctx, p, md, want)
	case p.TokenExchange && slices.Contains(md.GrantTypes, GrantTokenExchange):
		next, err = m.exchange(ctx, t, p, md, login, want)
	default:
		next, with, err = m.refreshNarrowed(ctx, t, p, md, login, want)
	}
	if err != nil {
		return nil, "", err
	}
	// No scopes asked (--revoke-on-exit alone): nothing to narrow.
	if broader := NotGranted(next.Scopes, want); len(want) > 0 && len(broader) > 0 {
		return nil, "", &NotNarrowedError{Provider: p.Name, Want: want, Broader: broader, TokenSHA256: audit.TokenID(next.AccessToken)}
	}
	m.issued(ctx, t, next)
	return next, with, nil
}

// refreshNarrowed is RFC 6749 §6 with scope: the refresh token is sent
// once, and a rotated one replaces the login's.
func (m *Manager) refreshNarrowed(ctx context.Context, t Target, p *provider.Provider, md *provider.Metadata, login *store.Record, want []string) (_ *store.Record, with string, _ error) {
	if !login.Refreshable() {
		return nil, "", fmt.Errorf("cannot narrow the token of %s: the login has no refresh token, and token exchange is not enabled (token_exchange: true)", t)
	}
	// A rotated refresh token is stored even when ctx ends meanwhile.
	ctx, done, err := m.finish(ctx, t)
	if err != nil {
		return nil, "", err
	}
	defer done()
	conf := OAuthConfig(p, md, want)
	// x/oauth2 sends no scope on a refresh: the transport adds it, with
	// the provider's own token parameters.
	params := map[string]string{}
	for k, v := range TokenParams(p) {
		params[k] = v
	}
	if len(want) > 0 {
		params["scope"] = ScopeSet(want)
	}
	cctx := context.WithValue(ctx, oauth2.HTTPClient, WithTokenParams(m.HTTP, md.TokenURL, params))
	expired := &oauth2.Token{RefreshToken: login.RefreshToken, Expiry: time.Unix(1, 0)}
	tok, err := conf.TokenSource(cctx, expired).Token()
	if err != nil {
		secrets := Client(p).Secrets().With(login.RefreshToken)
		if rejected(err) {
			m.grantRejected(t, err)
			return nil, "", tokerr.LoginNeededFor(t.String(), fmt.Errorf("the provider rejected the narrowing refresh: %w", flow.ByProvider(p.Name, flow.TokenEndpointError(err, secrets))))
		}
		return nil, "", fmt.Errorf("narrowing the token of %s: %w", t, flow.ByProvider(p.Name, flow.TokenEndpointError(err, secrets)))
	}
	if tok.RefreshToken != "" && tok.RefreshToken != login.RefreshToken {
		kept := *login
		kept.RefreshToken = tok.RefreshToken
		// A provider may end the access token issued with the refresh
		// token it rotated (strict rotation): the login's next hand-out
		// refreshes rather than risk a dead token.
		if kept.TTL(m.Now()) > 0 {
			kept.Expiry = m.Now().Add(-time.Second)
		}
		if err := m.Store.Save(ctx, t.Provider, t.Account, &kept); err != nil {
			return nil, "", fmt.Errorf("narrowed a token of %s but could not store the rotated refresh token: %w", t, err)
		}
		m.rotated(ctx, t, login.RefreshToken)
		with = audit.TokenID(tok.RefreshToken)
	}
	if err := flow.CheckBearer(tok, Client(p).Secrets().With(login.RefreshToken)...); err != nil {
		return nil, "", err
	}
	next := RecordFrom(tok, want, m.Now())
	next.RefreshToken, next.IDToken = "", ""
	next.Issuer, next.ClientID = login.Issuer, login.ClientID
	AssumeExpiry(next, p)
	return next, with, nil
}

// rotated drops the narrowed tokens that came with refresh token used,
// which the provider has just rotated: with strict rotation they may be
// dead. Called under t's lock.
func (m *Manager) rotated(ctx context.Context, t Target, used string) {
	c, err := m.loadNarrowed(ctx, t)
	if err != nil || len(c) == 0 {
		return
	}
	id, n := audit.TokenID(used), len(c)
	for k, e := range c {
		if e.IssuedWith == id {
			delete(c, k)
		}
	}
	if len(c) < n {
		m.saveNarrowed(ctx, t, c)
	}
}

func (m *Manager) loadNarrowed(ctx context.Context, t Target) (narrowedCache, error) {
	b, err := m.Store.LoadRaw(ctx, NarrowedKey(t))
	if err != nil {
		return nil, err
	}
	var c narrowedCache
	if err := json.Unmarshal(b, &c); err != nil {
		// A cache that cannot be read is rebuilt, never fatal.
		return narrowedCache{}, nil
	}
	for k, e := range c {
		if e == nil || e.Record == nil || e.AccessToken == "" {
			delete(c, k)
		}
	}
	return c, nil
}

func (m *Manager) saveNarrowed(ctx context.Context, t Target, c narrowedCache) error {
	if len(c) == 0 {
		return m.Store.RemoveRaw(ctx, NarrowedKey(t))
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return m.Store.SaveRaw(ctx, NarrowedKey(t), b)
}
