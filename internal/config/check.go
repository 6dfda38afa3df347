package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/wire"
)

// Flows are the values `flow:` takes.
var Flows = []string{FlowAuto, FlowBrowser, FlowDevice, FlowClientCredentials}

// TokenAuthMethods are the values `token_endpoint_auth_method:` takes
// (RFC 7591 §2).
var TokenAuthMethods = []string{wire.AuthBasic, wire.AuthPost, wire.AuthNone}

// KubeTokens are the values `kube_token:` takes.
var KubeTokens = []string{KubeAccessToken, KubeIDToken}

// ValueError is a provider setting tok cannot use. Key is the setting as
// written in the config file (flow, auth_params); Problem says what is
// wrong and what it takes, without the key.
type ValueError struct {
	Key, Problem string
}

func (e *ValueError) Error() string { return e.Key + " " + e.Problem }

// Check reports the first setting of p that no login could use: a value
// outside an enumeration or a range, or a parameter tok sets itself in
// auth_params or token_params (README "Configuration"). Unset values pass.
func (p Provider) Check() error {
	for _, e := range []struct {
		key, val, what string
		allowed        []string
	}{
		{"flow", p.Flow, "a flow", Flows},
		{"token_endpoint_auth_method", p.TokenAuthMethod, "a token endpoint authentication method", TokenAuthMethods},
		{"kube_token", p.KubeToken, "a token kubectl takes", KubeTokens},
	} {
		if e.val != "" && !slices.Contains(e.allowed, e.val) {
			return &ValueError{e.key, fmt.Sprintf("%q is not %s: use %s", e.val, e.what, oneOf(e.allowed))}
		}
	}
	if p.RedirectPort < 0 || p.RedirectPort > 65535 {
		return &ValueError{"redirect_port", fmt.Sprintf("%d is not a port: use 1 to 65535, or 0 for any free port", p.RedirectPort)}
	}
	if err := checkParams("auth_params", p.AuthParams, wire.ReservedAuthParams); err != nil {
		return err
	}
	return checkParams("token_params", p.TokenParams, wire.ReservedTokenParams)
}

func checkParams(key string, params map[string]string, reserved []string) error {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.ContainsFunc(reserved, func(r string) bool { return strings.EqualFold(r, k) }) {
			return &ValueError{key, fmt.Sprintf("may not set %q: tok sets it itself", k)}
		}
	}
	return nil
}

// oneOf lists allowed values for a message: "a, b or c".
func oneOf(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}
