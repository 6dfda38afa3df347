package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/identity"
	"github.com/tok-cli/tok/internal/kubecred"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
)

// Formats of `print --format` that hand out something other than the
// access token as it is (README "Formats").
const (
	formatIDToken        = "id-token"
	formatExecCredential = "exec-credential"
)

// printCredential writes t's ID token (id-token) or a Kubernetes
// ExecCredential (exec-credential) on stdout and logs the hand-out as
// verb. The ExecCredential holds the ID token when the provider says
// kube_token: id_token, else the access token, narrowed to scopes when
// there are any (README "Narrowed tokens for agents").
func (a *App) printCredential(ctx context.Context, t token.Target, p *provider.Provider, minTTL time.Duration, format, verb string, scopes []string) error {
	idToken := format == formatIDToken || p.KubeToken == config.KubeIDToken
	if idToken && p.Flow == config.FlowClientCredentials {
		return noIDTokenForClient(p, format)
	}
	if idToken && len(scopes) > 0 {
		// Only an access token can be narrowed; handing out the whole ID
		// token instead would break the promise of --scope.
		hint := "leave out --scope, or use kube_token: access_token"
		if format == formatIDToken {
			hint = "leave out --scope, or print the access token (--format token)"
		}
		return tokerr.New(tokerr.Usage, "--scope narrows access tokens, not the ID token %s hands out", t).WithHint("%s", hint)
	}
	version := ""
	if format == formatExecCredential {
		v, err := kubecred.APIVersion(a.getenv(kubecred.EnvExecInfo))
		if err != nil {
			return tokerr.Wrap(tokerr.Usage, err, "%s", verb)
		}
		version = v
	}
	rec, value, expiry, err := a.credential(ctx, t, p, minTTL, idToken, scopes)
	if err != nil {
		a.refused(verb, t.String(), err)
		return err
	}
	if format == formatIDToken {
		_, err = fmt.Fprintln(a.Stdout, value)
	} else {
		err = json.NewEncoder(a.Stdout).Encode(kubecred.New(version, value, expiry))
	}
	if err != nil {
		return err
	}
	a.auditLog().Write(audit.Entry{
		Event: audit.EventHandout, Verb: verb, Target: t.String(), Scopes: rec.Scopes,
		Expiry: expiry, TokenSHA256: audit.TokenID(value),
	})
	return nil
}

// noIDTokenForClient refuses an ID token of a client_credentials
// provider: the grant (RFC 6749 §4.4) has no person behind it, so OpenID
// Connect issues no ID token for it, and no login could bring one. The
// hint names what works instead.
func noIDTokenForClient(p *provider.Provider, format string) error {
	const msg = "provider %s uses client_credentials, whose tokens never come with an ID token (no person logs in)"
	if format == formatIDToken {
		// SPEC "Formats": exit 4 when the login has none.
		return tokerr.New(tokerr.LoginNeeded, msg, p.Name).WithHint("print the access token instead: tok print %s", p.Name)
	}
	// kube_token: id_token on such a provider is a config mistake.
	return tokerr.New(tokerr.Usage, msg, p.Name).WithHint("set %s: access_token in the config file", config.KeyPath(p.Name, "kube_token"))
}

// credential is the token to hand out for t, with minTTL left, and when it
// expires: the ID token when idToken is set, else the access token
// (narrowed to scopes when there are any).
func (a *App) credential(ctx context.Context, t token.Target, p *provider.Provider, minTTL time.Duration, idToken bool, scopes []string) (*store.Record, string, time.Time, error) {
	if idToken {
		rec, expiry, err := a.freshIDToken(ctx, t, p, minTTL)
		if err != nil {
			return nil, "", time.Time{}, err
		}
		return rec, rec.IDToken, expiry, nil
	}
	var rec *store.Record
	var err error
	if len(scopes) > 0 {
		rec, err = a.narrowed(ctx, t, p, scopes, minTTL)
	} else {
		rec, err = a.fresh(ctx, t, p, minTTL)
	}
	if err != nil {
		return nil, "", time.Time{}, err
	}
	return rec, rec.AccessToken, rec.Expiry, nil
}

// freshIDToken returns t's login with an ID token that has more than
// minTTL left, refreshing first when the stored one is about to expire (a
// refresh brings a new one, OpenID Connect Core §12.2). A login without
// an ID token needs a new login with the openid scope (exit 4).
func (a *App) freshIDToken(ctx context.Context, t token.Target, p *provider.Provider, minTTL time.Duration) (*store.Record, time.Time, error) {
	rec, err := a.fresh(ctx, t, p, minTTL)
	if err != nil {
		return nil, time.Time{}, err
	}
	if rec.IDToken == "" {
		return nil, time.Time{}, tokerr.LoginNeededFor(t.String(), errors.New("the login has no ID token (the openid scope brings one)"))
	}
	exp := identity.IDTokenExpiry(rec.IDToken)
	if exp.IsZero() || exp.Sub(a.Now()) > minTTL {
		return rec, exp, nil
	}
	m, err := a.manager()
	if err != nil {
		return nil, time.Time{}, err
	}
	if rec, err = m.Refresh(ctx, t, p); err != nil {
		return nil, time.Time{}, err
	}
	exp = identity.IDTokenExpiry(rec.IDToken)
	if !exp.IsZero() && !exp.After(a.Now()) {
		return nil, time.Time{}, tokerr.LoginNeededFor(t.String(), errors.New("the provider gave no new ID token on refresh"))
	}
	return rec, exp, nil
}
