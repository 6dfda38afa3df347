package cli

import (
	"os"
	"strings"
)

// secretEnv reports whether an environment variable holds a secret of
// tok's that a browser has no use for: the file-store passphrase or key, the
// etcd password or a client secret. A browser started for a login outlives tok and starts
// processes of its own; none of them should inherit these.
func secretEnv(name string) bool {
	return name == "TOK_PASSPHRASE" || name == "TOK_FILE_KEY" || name == "TOK_ETCD_PASSWORD" ||
		strings.HasPrefix(name, "TOK_") && strings.HasSuffix(name, "_CLIENT_SECRET")
}

// withoutSecrets returns environ less the variables secretEnv names.
func withoutSecrets(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !secretEnv(name) {
			out = append(out, kv)
		}
	}
	return out
}

// hideSecrets takes the secretEnv variables out of tok's own environment
// for the system opener, which gives no other way to set its child's
// environment; restore puts them back.
func hideSecrets() (restore func()) {
	saved := map[string]string{}
	for _, kv := range os.Environ() {
		name, val, _ := strings.Cut(kv, "=")
		if secretEnv(name) {
			saved[name] = val
			os.Unsetenv(name)
		}
	}
	return func() {
		for k, v := range saved {
			os.Setenv(k, v)
		}
	}
}
