package token

import (
	"context"
	"errors"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// CheckWritable fails when storing t's login would fail, so that a consent
// flow is not approved for a login tok cannot keep.
func (m *Manager) CheckWritable(ctx context.Context, t Target) error {
	return m.Store.CheckWritable(ctx, t.Provider, t.Account)
}

// Login stores rec, from a consent flow, as t's login under t's lock. For
// an MCP server, server (what tok learnt of it, nil otherwise) is written
// first, so that the stored login always finds its client and endpoints.
func (m *Manager) Login(ctx context.Context, t Target, rec *store.Record, server *provider.MCPServer) error {
	unlock, err := m.Locks.Lock(ctx, t.Key())
	if err != nil {
		return err
	}
	defer unlock()
	if server != nil {
		if err := provider.SaveMCPServer(m.StateDir, server); err != nil {
			return err
		}
	}
	if err := m.Store.Save(ctx, t.Provider, t.Account, rec); err != nil {
		return err
	}
	// Narrowed tokens of an earlier login are not this grant's.
	m.Store.RemoveRaw(ctx, NarrowedKey(t))
	m.Audit.Write(audit.Entry{Event: audit.EventLogin, Verb: "login", Target: t.String(), Scopes: rec.Scopes, Expiry: rec.Expiry, TokenSHA256: audit.TokenID(rec.AccessToken)})
	return nil
}

// Import stores rec as t's login under t's lock, storing first so that a
// broken store shows before a rotating refresh token is spent. With check,
// it then refreshes at once (rec's access token is missing or spent); when
// that fails, the login rec replaced (or none) comes back and the refresh
// error is returned. identify, when not nil, fills in who logged in on the
// record that holds the tokens to be stored (the refreshed one, with
// check): it may leave the record as it is, never fails the import. The
// result is the login as stored.
func (m *Manager) Import(ctx context.Context, t Target, p *provider.Provider, rec *store.Record, check bool, identify func(context.Context, *store.Record)) (*store.Record, error) {
	unlock, err := m.Locks.Lock(ctx, t.Key())
	if err != nil {
		return nil, err
	}
	defer unlock()
	old, err := m.Store.Load(ctx, t.Provider, t.Account)
	if err != nil && tokerr.ExitCode(err) == int(tokerr.StoreUnavailable) {
		return nil, err
	}
	if err != nil {
		old = nil // nothing, or a damaged record: nothing worth keeping
	}
	if !check && identify != nil {
		identify(ctx, rec)
	}
	if err := m.Store.Save(ctx, t.Provider, t.Account, rec); err != nil {
		return nil, err
	}
	m.Store.RemoveRaw(ctx, NarrowedKey(t)) // the old grant's
	if !check {
		return rec, nil
	}
	next, err := m.refreshHeld(ctx, t, p, -1, nil)
	if err != nil {
		// Put back what was there even when ctx ended (an interrupt).
		m.restore(context.WithoutCancel(ctx), t, old)
		return nil, err
	}
	if identify != nil && next.Identity == nil {
		// The refresh brought the tokens that say who it is: stored
		// again, with the identity; a failed save keeps the stored pair.
		if identify(ctx, next); next.Identity != nil {
			if err := m.Store.Save(ctx, t.Provider, t.Account, next); err != nil {
				next.Identity = nil
			}
		}
	}
	return next, nil
}

// restore writes old back as t's login, or removes the login when old is
// nil. The caller holds t's lock.
func (m *Manager) restore(ctx context.Context, t Target, old *store.Record) {
	if old != nil {
		m.Store.Save(ctx, t.Provider, t.Account, old)
		return
	}
	m.Store.Remove(ctx, t.Provider, t.Account)
}

// Logout forgets t's login under t's lock. With revoke, the refresh token,
// then the access token, are first revoked at the provider where it can
// (RFC 7009); a failed revocation is a warning, and the login goes anyway.
// A damaged record is removed without revocation. found is false when
// there was no login (logging out twice is no error).
func (m *Manager) Logout(ctx context.Context, t Target, p *provider.Provider, revoke bool) (found bool, err error) {
	unlock, err := m.Locks.Lock(ctx, t.Key())
	if err != nil {
		return false, err
	}
	defer unlock()
	// Narrowed tokens go with the login (README "Narrowed tokens").
	if err := m.Store.RemoveRaw(ctx, NarrowedKey(t)); err != nil {
		return false, err
	}
	rec, err := m.Store.Load(ctx, t.Provider, t.Account)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The index may still list it.
		return false, m.Store.Remove(ctx, t.Provider, t.Account)
	case errors.Is(err, store.ErrWrongKey) && !revoke:
		// Nothing to revoke: a record sealed with another secret is
		// forgotten unread (README "File store keys").
	case err != nil && !errors.Is(err, store.ErrCorrupt):
		return false, err
	}
	if rec != nil && revoke && m.beforeRequest(ctx, p) == nil {
		m.revokeAll(ctx, t, p, rec)
	}
	if err := m.Store.Remove(ctx, t.Provider, t.Account); err != nil {
		return true, err
	}
	m.Audit.Write(audit.Entry{Event: audit.EventLogout, Verb: "logout", Target: t.String()})
	return true, nil
}

// revokeAll revokes rec's refresh token, then its access token.
func (m *Manager) revokeAll(ctx context.Context, t Target, p *provider.Provider, rec *store.Record) {
	if m.boundForRevoking(t, p, nil, rec) {
		return
	}
	md, err := m.Discover.Endpoints(ctx, p)
	if err != nil || md.RevocationURL == "" {
		m.warn("%s has no revocation endpoint: the tokens stay valid at the provider until they expire", p.Name)
		return
	}
	if m.boundForRevoking(t, p, md, rec) {
		return
	}
	for _, tk := range []struct{ value, hint string }{{rec.RefreshToken, "refresh_token"}, {rec.AccessToken, "access_token"}} {
		if tk.value == "" {
			continue
		}
		if err := Revoke(ctx, m.HTTP, p, md.RevocationURL, tk.value, tk.hint); err != nil {
			m.warn("could not revoke the %s of %s: %v", tk.hint, t, err)
		}
	}
}

// boundForRevoking warns and reports true when rec belongs to another
// server or client than p's (checkBound), or md's revocation endpoint is
// not the login's (CheckRevocation): its tokens are not sent there, and
// the login is forgotten all the same.
func (m *Manager) boundForRevoking(t Target, p *provider.Provider, md *provider.Metadata, rec *store.Record) bool {
	var be *BoundError
	err := checkBound(t, p, md, rec)
	if md != nil {
		err = CheckRevocation(t, p, md, rec)
	}
	if !errors.As(err, &be) {
		return false
	}
	m.warn("did not revoke the tokens of %s: %v", t, be)
	return true
}
