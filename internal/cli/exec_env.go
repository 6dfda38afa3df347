package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/target"
	"github.com/tok-cli/tok/internal/tokerr"
)

// Which variables `tok exec` sets for the child, and which it will not
// (README "exec" and "Exec without targets, and profiles").

// binding is one environment variable and the target whose token it gets.
type binding struct {
	Name   string
	Target string
}

// bindings lists the variables to set: each TARGET's provider `env`, then
// each --env (the profile's, then the command line's), which wins over an
// earlier binding of the same name. resolved holds the positional targets,
// resolved. With --no-env and no --token-files the variables are only
// stripped from the child's environment, so two targets may share one.
func bindings(resolved []*execTarget, opts *execOptions) ([]binding, error) {
	var fromProvider []binding
	for _, et := range resolved {
		for _, name := range et.P.Env {
			if !validEnvName(name) {
				return nil, tokerr.New(tokerr.Usage, "provider %s: env %q is not a variable name (letters, digits and _)", et.P.Name, name)
			}
			if why := reservedEnv(name); why != "" {
				return nil, tokerr.New(tokerr.Usage, "provider %s: env %s: %s", et.P.Name, name, why).
					WithHint("set another name in providers.%s.env of the config file, or use --env NAME=%s", et.P.Name, et.Arg)
			}
			fromProvider = append(fromProvider, binding{Name: name, Target: et.Arg})
		}
	}
	var named []binding
	for _, kv := range opts.Env {
		b, err := parseBinding("--env", kv)
		if err != nil {
			return nil, err
		}
		named = slices.DeleteFunc(named, func(o binding) bool { return o.Name == b.Name })
		named = append(named, b)
	}
	fromProvider = slices.DeleteFunc(fromProvider, func(b binding) bool {
		return slices.ContainsFunc(named, func(n binding) bool { return n.Name == b.Name })
	})
	if opts.NoEnv && !opts.TokenFiles {
		return append(fromProvider, named...), nil
	}
	fromProvider, err := dropShared(fromProvider, named, opts.TokenFiles && opts.NoEnv)
	if err != nil {
		return nil, err
	}
	return append(fromProvider, named...), nil
}

// dropShared handles a provider variable that two targets would share
// (two logins of one provider): when --env (or the profile's env) names
// every one of those targets, the shared variable is left unset, as no
// single login is its own; otherwise it is refused, since one token would
// be dropped without a word and the child would use the wrong login.
// filesOnly says only the NAME_FILE variables are set (--token-files
// --no-env): the file named after the variable is then what is shared.
func dropShared(fromProvider, named []binding, filesOnly bool) ([]binding, error) {
	holders := map[string][]string{} // variable -> the distinct targets it would hold
	for _, b := range fromProvider {
		if !slices.ContainsFunc(holders[b.Name], func(t string) bool { return sameTarget(t, b.Target) }) {
			holders[b.Name] = append(holders[b.Name], b.Target)
		}
	}
	isNamed := func(t string) bool {
		return slices.ContainsFunc(named, func(n binding) bool { return sameTarget(n.Target, t) })
	}
	for _, b := range fromProvider {
		ts := holders[b.Name]
		if len(ts) < 2 || !slices.ContainsFunc(ts, func(t string) bool { return !isNamed(t) }) {
			continue
		}
		var eg []string
		for _, t := range ts {
			if !isNamed(t) {
				eg = append(eg, "--env "+suggestEnv(t)+"="+t)
			}
		}
		what := b.Name + " would hold the token"
		if filesOnly {
			what = b.Name + "_FILE would name the token file"
		}
		return nil, tokerr.New(tokerr.Usage, "%s of %s", what, bothOf(ts)).
			WithHint("name each with --env NAME=TARGET (or env: [NAME=TARGET] in the profile), e.g. %s", strings.Join(eg, " "))
	}
	return slices.DeleteFunc(fromProvider, func(b binding) bool { return len(holders[b.Name]) > 1 }), nil
}

// parseBinding reads NAME=TARGET as written in where (--env, or a
// profile's env).
func parseBinding(where, kv string) (binding, error) {
	name, arg, ok := strings.Cut(kv, "=")
	if !ok || !validEnvName(name) || arg == "" {
		return binding{}, tokerr.New(tokerr.Usage, "%s %q is not NAME=TARGET (NAME: letters, digits and _, not starting with a digit)", where, kv)
	}
	if why := reservedEnv(name); why != "" {
		return binding{}, tokerr.New(tokerr.Usage, "%s %s: %s", where, kv, why).
			WithHint("give the token another name, e.g. %s=%s", suggestEnv(arg), arg)
	}
	return binding{Name: name, Target: arg}, nil
}

func validEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return s != ""
}

// Variables a token must never replace (README "exec"), upper case.
var (
	// What the command, its shell or its C library need to run.
	runEnv = []string{"PATH", "HOME", "SHELL", "USER", "LOGNAME", "TMPDIR", "TMP", "TEMP", "PWD",
		"IFS", "ENV", "BASH_ENV", "CDPATH", "TERM", "TZ", "LANG", "LANGUAGE"}
	// What tok reads (besides TOK_* and XDG_*), so also a tok the command
	// runs, such as git's credential helper; Go's HTTP client reads the
	// proxy and certificate variables.
	tokEnv = []string{"BROWSER", "CI", "NO_COLOR", "DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION",
		"SSH_TTY", "DBUS_SESSION_BUS_ADDRESS", "KUBERNETES_EXEC_INFO", "HTTP_PROXY", "HTTPS_PROXY",
		"NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"}
)

// reservedEnv says why `tok exec` will not put a token in the variable
// name, or "" when it may. Case does not count: Windows ignores it, and
// the proxy variables are read in either case.
func reservedEnv(name string) string {
	u := strings.ToUpper(name)
	switch {
	case slices.Contains(runEnv, u) || strings.HasPrefix(u, "LC_"):
		return fmt.Sprintf("%s is a variable the command needs to run, not one for a token", name)
	case strings.HasPrefix(u, "LD_") || strings.HasPrefix(u, "DYLD_"):
		return fmt.Sprintf("%s is read by the dynamic loader (LD_* and DYLD_* are), not one for a token", name)
	case strings.HasPrefix(u, "TOK_"):
		return fmt.Sprintf("%s is tok's own (TOK_* variables are), not one for a token", name)
	case slices.Contains(tokEnv, u) || strings.HasPrefix(u, "XDG_"):
		return fmt.Sprintf("%s is read by tok and any tok the command runs, not one for a token", name)
	}
	return ""
}

// suggestEnv is a variable name for arg's token to offer in a hint:
// DEX_WORK_TOKEN for dex:work.
func suggestEnv(arg string) string {
	t, err := target.Parse(arg)
	if err != nil || t.URL != "" {
		return "MCP_TOKEN"
	}
	name := t.Provider
	if t.Account != target.DefaultAccount {
		name += "_" + t.Account
	}
	s := config.DefaultEnv(name)
	if !validEnvName(s) || reservedEnv(s) != "" {
		return "MY_TOKEN"
	}
	return s
}

// bothOf is "both a and b", or "each of a, b and c"; len(items) >= 2.
func bothOf(items []string) string {
	last := len(items) - 1
	list := strings.Join(items[:last], ", ") + " and " + items[last]
	if len(items) == 2 {
		return "both " + list
	}
	return "each of " + list
}
