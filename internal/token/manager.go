package token

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// Manager reads, refreshes and writes logins. It is the only writer of
// logins: login, import (and its restore), logout, refresh, and the MCP
// registration a refused refresh invalidates all go through it, each under
// the target's lock, so a refresh running at the same moment in another
// process can never write an older token pair over a newer one.
type Manager struct {
	Store    Store
	Locks    Locker
	Discover *provider.Discoverer
	HTTP     *http.Client
	Now      func() time.Time
	// Sleep waits d or until ctx ends (then its error), before a busy
	// provider is asked again; nil waits on a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// StateDir holds what tok remembers of MCP servers
	// (provider.SaveMCPServer).
	StateDir string
	// Audit records each token the provider issues (README "Audit
	// log"); nil records nothing.
	Audit *audit.Log
	// BeforeRequest, when set, completes the provider just before tok
	// talks to its token endpoint (an MCP registration's client secret
	// lives in the store): the fast path of a fresh token never pays
	// for it.
	BeforeRequest func(context.Context, *provider.Provider) error
	// Note and Warn, when set, tell the user something in passing: one
	// line, without the "tok: " or "tok: warning: " the caller adds.
	Note, Warn func(msg string)
}

// Store is what the Manager needs of the token store; *store.Store is
// one. The raw methods keep MCP client registrations (mcp.SecretStore).
type Store interface {
	Load(ctx context.Context, provider, account string) (*store.Record, error)
	Save(ctx context.Context, provider, account string, r *store.Record) error
	Remove(ctx context.Context, provider, account string) error
	// CheckWritable fails when a Save for the login would fail.
	CheckWritable(ctx context.Context, provider, account string) error
	List() ([]store.Entry, error)
	mcp.SecretStore
}

// Fresh returns t's token with at least minTTL left, refreshing it first
// when needed. It never starts a consent flow. The fast path (a fresh
// token in the store) takes no lock and touches no network. When ctx ends
// after the refresh request went out, the answer is stored first and
// ctx's error returned then.
func (m *Manager) Fresh(ctx context.Context, t Target, p *provider.Provider, minTTL time.Duration) (*store.Record, error) {
	rec, err := m.load(ctx, t)
	if err == nil && !scopesChanged(p, rec) && (rec.TTL(m.Now()) > minTTL || noBetter(rec, minTTL, m.Now())) {
		return rec, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	rec, err = m.refresh(ctx, t, p, minTTL, rec)
	return interrupted(ctx, rec, err)
}

// Refresh renews t's token now, whatever its lifetime.
func (m *Manager) Refresh(ctx context.Context, t Target, p *provider.Provider) (*store.Record, error) {
	rec, err := m.refresh(ctx, t, p, -1, nil)
	return interrupted(ctx, rec, err)
}

// refresh runs read, decide, refresh and write under t's lock, so that
// any number of processes send at most one refresh request. seen is what
// the caller read before taking the lock (nil if nothing); minTTL < 0
// forces a refresh.
func (m *Manager) refresh(ctx context.Context, t Target, p *provider.Provider, minTTL time.Duration, seen *store.Record) (*store.Record, error) {
	unlock, waited, err := m.lock(ctx, t.Key())
	if err != nil {
		return nil, err
	}
	if waited && minTTL >= 0 {
		// Another process held the lock, most likely refreshing: what
		// it stored is read without the lock, so that waiters open the
		// record (an scrypt with a passphrase) side by side instead of
		// in turn, and only one that finds it stale takes it again.
		unlock()
		if rec, err := m.load(ctx, t); err == nil && servable(p, rec, minTTL, seen, m.Now()) {
			return rec, nil
		}
		if unlock, err = m.Locks.Lock(ctx, t.Key()); err != nil {
			return nil, err
		}
	}
	defer unlock()
	return m.refreshHeld(ctx, t, p, minTTL, seen)
}

// lock takes t's lock and says whether another holder had it.
func (m *Manager) lock(ctx context.Context, key string) (func(), bool, error) {
	if wl, ok := m.Locks.(WaitLocker); ok {
		return wl.LockWaited(ctx, key)
	}
	unlock, err := m.Locks.Lock(ctx, key)
	return unlock, false, err
}

// servable reports whether refreshHeld would hand out rec as it is: it
// has more than minTTL left, or another process refreshed it after the
// caller saw seen (not for client credentials, which fetch again).
func servable(p *provider.Provider, rec *store.Record, minTTL time.Duration, seen *store.Record, now time.Time) bool {
	if scopesChanged(p, rec) {
		return false
	}
	if rec.TTL(now) > minTTL || noBetter(rec, minTTL, now) {
		return true
	}
	return p.Flow != config.FlowClientCredentials && seen != nil && rec.AccessToken != seen.AccessToken && rec.TTL(now) > 0
}

// noBetter reports whether a refresh now could not do much better than
// rec for minTTL (README "print"): rec came from a refresh that wanted at
// least its lifetime (RefreshedFor), the provider's lifetime falls short
// of minTTL too, and rec has more than half of it left. Runs that start
// while another one refreshes, or just after, then share its token instead
// of spending a rotation each; the next refresh comes at half-life, as
// exec --token-files does it (tokfile.Due).
func noBetter(rec *store.Record, minTTL time.Duration, now time.Time) bool {
	life := rec.Expiry.Sub(rec.ObtainedAt)
	if rec.Expiry.IsZero() || life <= 0 {
		return false
	}
	return rec.RefreshedFor > life && minTTL >= life && rec.TTL(now) > life/2
}

// refreshHeld is refresh for a caller that holds t's lock.
func (m *Manager) refreshHeld(ctx context.Context, t Target, p *provider.Provider, minTTL time.Duration, seen *store.Record) (*store.Record, error) {
	force := minTTL < 0
	// Read again under the lock: another process may have refreshed
	// while this one waited.
	rec, err := m.load(ctx, t)
	notFound := errors.Is(err, store.ErrNotFound)
	if err != nil && !notFound {
		return nil, err
	}
	if p.Flow == config.FlowClientCredentials && (notFound || force || rec.TTL(m.Now()) <= minTTL || scopesChanged(p, rec)) {
		if err := m.beforeRequest(ctx, p); err != nil {
			return nil, err
		}
		cur := rec
		if !notFound && scopesChanged(p, rec) {
			// A token of other scopes is no fallback: the caller asked
			// for the configured ones.
			cur = nil
		}
		next, err := m.retryBusy(ctx, t, cur, force, func() (*store.Record, error) {
			return m.clientCredentials(ctx, t, p)
		})
		return m.orStillValid(t, cur, force, next, err)
	}
	if notFound {
		return nil, m.NothingStored(t)
	}
	if !force && (rec.TTL(m.Now()) > minTTL || noBetter(rec, minTTL, m.Now())) {
		return rec, nil
	}
	// Another process refreshed while this one waited. Its token is
	// the freshest the provider will give now, even when the provider's
	// lifetime is shorter than minTTL: refreshing again would only burn
	// a rotation per process.
	if !force && seen != nil && rec.AccessToken != seen.AccessToken && rec.TTL(m.Now()) > 0 {
		return rec, nil
	}
	if !rec.Refreshable() {
		return nil, tokerr.LoginNeededFor(t.String(), errors.New("the token expired and the provider gave no refresh token"))
	}
	if err := m.beforeRequest(ctx, p); err != nil {
		return nil, err
	}
	next, err := m.retryBusy(ctx, t, rec, force, func() (*store.Record, error) {
		return m.refreshLocked(ctx, t, p, rec, max(minTTL, 0))
	})
	return m.orStillValid(t, rec, force, next, err)
}

// orStillValid applies the rule "transient failures never withhold a
// valid token" (README): when an early refresh fails for a reason that may
// pass (no answer, HTTP 429 or 5xx, temporarily_unavailable,
// server_error) and cur still has time left, cur is handed out with a
// warning. A forced refresh (tok refresh) and a refusal still fail.
func (m *Manager) orStillValid(t Target, cur *store.Record, force bool, next *store.Record, err error) (*store.Record, error) {
	if err == nil || force || cur == nil || !wire.Transient(err) {
		return next, err
	}
	left := cur.TTL(m.Now())
	if left <= 0 {
		return next, err
	}
	if m.Warn != nil {
		valid := "with no expiry"
		if !cur.Expiry.IsZero() {
			valid = "valid for " + left.Round(time.Second).String()
		}
		m.Warn(fmt.Sprintf("could not refresh %s (%s); using the current token, %s", t, failureReason(err), valid))
	}
	return cur, nil
}

// failureReason is err without the "refreshing TARGET: " context, for the
// warning that already names the target.
func failureReason(err error) string {
	var ee *flow.EndpointError
	if errors.As(err, &ee) {
		return ee.Error()
	}
	if u := errors.Unwrap(err); u != nil {
		return u.Error()
	}
	return err.Error()
}

func (m *Manager) beforeRequest(ctx context.Context, p *provider.Provider) error {
	if m.BeforeRequest == nil {
		return nil
	}
	return m.BeforeRequest(ctx, p)
}

// refreshLocked sends rec's refresh token and stores the new pair; wish
// is the --min-ttl the refresh is for (store.Record.RefreshedFor), zero
// for none.
func (m *Manager) refreshLocked(ctx context.Context, t Target, p *provider.Provider, rec *store.Record, wish time.Duration) (*store.Record, error) {
	if err := checkBound(t, p, nil, rec); err != nil {
		return nil, err
	}
	md, err := m.Discover.Endpoints(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := checkBound(t, p, md, rec); err != nil {
		return nil, err
	}
	ctx, done, err := m.finish(ctx, t)
	if err != nil {
		return nil, err
	}
	defer done()
	conf := OAuthConfig(p, md, rec.Scopes)
	expired := &oauth2.Token{RefreshToken: rec.RefreshToken, Expiry: time.Unix(1, 0)}
	tok, err := conf.TokenSource(m.clientContext(ctx, p, md), expired).Token()
	if err != nil {
		return m.refreshFailed(ctx, t, p, rec, err)
	}
	if err := flow.CheckBearer(tok, Client(p).Secrets().With(rec.RefreshToken)...); err != nil {
		return nil, err
	}
	next := RecordFrom(tok, rec.Scopes, m.Now())
	next.Issuer, next.ClientID, next.Identity = rec.Issuer, rec.ClientID, rec.Identity
	next.TokenOrigin, next.RefreshedFor = TokenOrigin(md.TokenURL), wish
	next.RevocationOrigin = revocationOrigin(p, md, rec)
	// RFC 6749 §6: a response without a refresh token leaves the old one
	// valid, so the login stays renewable.
	if next.RefreshToken == "" {
		next.RefreshToken = rec.RefreshToken
	} else if next.RefreshToken != rec.RefreshToken {
		m.rotated(ctx, t, rec.RefreshToken)
	}
	AssumeExpiry(next, p)
	if next.IDToken == "" {
		next.IDToken = rec.IDToken
	}
	m.issued(ctx, t, next)
	if err := m.Store.Save(ctx, t.Provider, t.Account, next); err != nil {
		return m.saveFailed(ctx, t, next, err)
	}
	return next, nil
}

// saveFailed decides what a refreshed pair that could not be stored means.
// A store that compares before it writes (etcd) refuses when another
// process stored a newer pair after this one's lock ran out: that pair is
// the login now, and this process still hands out the token it got.
func (m *Manager) saveFailed(ctx context.Context, t Target, next *store.Record, err error) (*store.Record, error) {
	if errors.Is(err, store.ErrChanged) {
		if _, lerr := m.load(ctx, t); lerr == nil {
			return next, nil
		}
	}
	return nil, fmt.Errorf("refreshed %s but could not store the new token: %w", t, err)
}

// refreshFailed decides what a failed refresh means. The store is read
// again first: a newer token pair written by a process that did not honour
// our lock (or an older tok) must win over declaring the login lost.
func (m *Manager) refreshFailed(ctx context.Context, t Target, p *provider.Provider, used *store.Record, err error) (*store.Record, error) {
	if now, lerr := m.load(ctx, t); lerr == nil && now.RefreshToken != used.RefreshToken && now.TTL(m.Now()) > 0 {
		return now, nil
	}
	secrets := Client(p).Secrets().With(used.RefreshToken)
	if rejected(err) {
		m.forgetRejectedClient(ctx, p, err)
		m.grantRejected(t, err)
		return nil, tokerr.LoginNeededFor(t.String(), fmt.Errorf("the provider rejected the refresh: %w", flow.ByProvider(p.Name, flow.TokenEndpointError(err, secrets))))
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("refreshing %s: %w", t, flow.ByProvider(p.Name, flow.TokenEndpointError(err, secrets)))
}

// rejected reports whether the token endpoint refused the grant (RFC 6749
// §5.2: an error code, with 400 or 401), as opposed to failing in a way a
// new login would not fix: a 5xx or HTML page from a proxy, a redirect,
// temporarily_unavailable or server_error.
func rejected(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || wire.Transient(err) {
		return false
	}
	if re.ErrorCode != "" {
		return true
	}
	return re.Response != nil && (re.Response.StatusCode == 400 || re.Response.StatusCode == 401)
}

// grantRejected notes in the login's index entry that the provider
// refused its refresh token (invalid_grant, RFC 6749 §5.2), so that status
// says the login needs a new consent. Other refusals (invalid_scope of a
// narrowing request, invalid_client) say nothing of the grant.
func (m *Manager) grantRejected(t Target, err error) {
	var re *oauth2.RetrieveError
	marker, ok := m.Store.(interface {
		MarkRefreshRejected(provider, account string, at time.Time)
	})
	if ok && errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
		marker.MarkRefreshRejected(t.Provider, t.Account, m.Now())
	}
}

func (m *Manager) clientCredentials(ctx context.Context, t Target, p *provider.Provider) (*store.Record, error) {
	md, err := m.Discover.Endpoints(ctx, p)
	if err != nil {
		return nil, err
	}
	if p.ClientSecret == "" {
		return nil, tokerr.New(tokerr.Usage, "provider %s uses client_credentials but has no client secret", p.Name).
			WithHint("set %s in the config file, or %s", config.KeyPath(p.Name, "client_secret"), config.EnvVar(p.Name, "CLIENT_SECRET"))
	}
	tok, err := flow.ClientCredentials(ctx, flow.Request{
		OAuth:       *OAuthConfig(p, md, p.Scopes),
		TokenParams: TokenParams(p),
		HTTPClient:  m.HTTP,
		Provider:    p.Name,
	})
	if err != nil {
		return nil, fmt.Errorf("client credentials for %s: %w", p.Name, flow.ByProvider(p.Name, err))
	}
	rec := RecordFrom(tok, p.Scopes, m.Now())
	rec.Issuer, rec.ClientID = md.Issuer, p.ClientID
	rec.AskedScopes = slices.Clone(p.Scopes)
	AssumeExpiry(rec, p)
	m.issued(ctx, t, rec)
	if err := m.Store.Save(ctx, t.Provider, t.Account, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

func (m *Manager) load(ctx context.Context, t Target) (*store.Record, error) {
	rec, err := m.Store.Load(ctx, t.Provider, t.Account)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		var te *tokerr.Error
		if errors.As(err, &te) {
			return nil, err
		}
		return nil, tokerr.LoginNeededFor(t.String(), err)
	}
	return rec, nil
}

// NothingStored is the error for a target with no login, naming a stored
// account of the same provider when the target looks like a typo of it.
func (m *Manager) NothingStored(t Target) error {
	cause := errors.New("nothing stored")
	if other := m.closeAccount(t); other != "" {
		cause = fmt.Errorf("nothing stored (did you mean %s?)", other)
	}
	return tokerr.LoginNeededFor(t.String(), cause)
}

// closeAccount returns PROVIDER:ACCOUNT of a stored login of t's provider
// whose account is within a typo of t's, or "".
func (m *Manager) closeAccount(t Target) string {
	entries, err := m.Store.List()
	if err != nil {
		return ""
	}
	var accounts []string
	for _, e := range entries {
		if e.Provider == t.Provider && e.Account != t.Account {
			accounts = append(accounts, e.Account)
		}
	}
	if a := provider.Closest(t.Account, accounts); a != "" {
		return Target{Provider: t.Provider, Account: a}.String()
	}
	return ""
}

// issued records a token the provider issued for t.
func (m *Manager) issued(ctx context.Context, t Target, rec *store.Record) {
	m.Audit.Write(audit.Entry{
		Event: audit.EventRefresh, Verb: audit.VerbOf(ctx), Target: t.String(), Scopes: rec.Scopes,
		Expiry: rec.Expiry, TokenSHA256: audit.TokenID(rec.AccessToken),
	})
}

// scopesChanged reports whether rec, a stored client-credentials token,
// was requested with other scopes than p is configured with now (as sets):
// such a token is replaced by a new request, not handed out (README
// "Logging in"). Records from before AskedScopes compare their granted
// scopes. Always false for other flows.
func scopesChanged(p *provider.Provider, rec *store.Record) bool {
	if p.Flow != config.FlowClientCredentials || rec == nil {
		return false
	}
	asked := rec.AskedScopes
	if asked == nil {
		asked = rec.Scopes
	}
	return !sameScopes(asked, p.Scopes)
}

// sameScopes reports whether a and b hold the same scopes, in any order.
func sameScopes(a, b []string) bool {
	a, b = slices.Compact(slices.Sorted(slices.Values(a))), slices.Compact(slices.Sorted(slices.Values(b)))
	return slices.Equal(a, b)
}
