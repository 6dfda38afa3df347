package cli

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/tokerr"
)

// loadConfig reads the config file, TOK_* variables and flags once, with
// viper, into the typed config passed down to everything else.
func (a *App) loadConfig() (*config.Config, error) {
	v := viper.New()
	file, explicit := a.configFile()
	cfg := &config.Config{Providers: map[string]config.Provider{}, Verbose: a.Verbose}
	if file != "" {
		v.SetConfigFile(file)
		if ext := strings.TrimPrefix(filepath.Ext(file), "."); ext == "" || ext == "yml" {
			v.SetConfigType("yaml")
		}
		err := v.ReadInConfig()
		var unreadable *os.PathError
		switch {
		case err == nil:
			cfg.File = file
		case errors.Is(err, fs.ErrNotExist) && !explicit:
			// No config file is fine: presets and TOK_* may be enough.
		case errors.Is(err, fs.ErrNotExist):
			return nil, tokerr.New(tokerr.Usage, "config file %s does not exist", file)
		case errors.As(err, &unreadable):
			// A file that is there but cannot be read is never skipped.
			return nil, tokerr.New(tokerr.Usage, "config file %s cannot be read: %v", file, unreadable.Err)
		default:
			return nil, tokerr.New(tokerr.Usage, "config file %s: %s", file, parseError(err.Error()))
		}
	}
	for key, env := range map[string]string{"store": "TOK_STORE", "min_ttl": "TOK_MIN_TTL", "passphrase": "TOK_PASSPHRASE"} {
		if val, ok := a.LookupEnv(env); ok && val != "" {
			v.Set(key, val)
		}
	}
	cfg.Store = v.GetString("store")
	switch cfg.Store {
	case "", "keyring", "file", "etcd":
	default:
		// Checked here, not when the store opens: status and providers read
		// no record, and must not pass over a typo either.
		from := "store:"
		if val, _ := a.LookupEnv("TOK_STORE"); val != "" {
			from = "TOK_STORE"
		}
		return nil, tokerr.New(tokerr.Usage, "%s %q is not a store: use keyring, file or etcd", from, cfg.Store)
	}
	cfg.FilePlaintext = v.GetBool("file_plaintext")
	cfg.Passphrase = v.GetString("passphrase")
	cfg.FileKeyFile = v.GetString("file_key_file")
	cfg.ClientMetadataURL = v.GetString("client_metadata_url")
	cfg.StateDir = a.stateDir()
	// Named where the value came from: the variable wins over the file.
	from := "config file " + file + ": min_ttl"
	if val, _ := a.LookupEnv("TOK_MIN_TTL"); val != "" {
		from = "TOK_MIN_TTL"
	}
	ttl, err := parseTTL(from, v.GetString("min_ttl"))
	if err != nil {
		return nil, err
	}
	cfg.MinTTL = ttl
	if err := checkTopLevel(v, file); err != nil {
		return nil, err
	}
	if err := checkConfigTypes(v, file); err != nil {
		return nil, err
	}
	if err := decodeProviders(v, cfg, file); err != nil {
		return nil, err
	}
	if err := decodeEtcd(v, cfg, file); err != nil {
		return nil, err
	}
	a.etcdFromEnv(&cfg.Etcd)
	if err := decodeProfiles(v, cfg, file); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (a *App) configFile() (string, bool) {
	if a.ConfigFlag != "" {
		return a.ConfigFlag, true
	}
	if f := a.getenv("TOK_CONFIG"); f != "" {
		return f, true
	}
	dir := a.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "tok", "config.yaml"), false
}

func (a *App) stateDir() string {
	if d := a.getenv("TOK_STATE_DIR"); d != "" {
		return d
	}
	dir := a.getenv("XDG_STATE_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "tok")
}

// parseTTL reads min_ttl or TOK_MIN_TTL (from names which, for the
// message); "" is the default, 60s.
func parseTTL(from, s string) (time.Duration, error) {
	if s == "" {
		return 60 * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, tokerr.New(tokerr.Usage, "%s %q is not a duration like 60s or 5m", from, s)
	case d < 0:
		return 0, tokerr.New(tokerr.Usage, "%s %q is negative: give a duration like 60s or 5m", from, s)
	}
	return d, nil
}

// parseError is the reader's error on one line: the YAML decoder puts its
// findings ("line 6: mapping key "x" already defined at line 2") on the
// lines after "yaml: unmarshal errors:".
func parseError(msg string) string {
	msg = strings.TrimPrefix(strings.TrimSpace(msg), "While parsing config: ")
	head, rest, multi := strings.Cut(msg, "\n")
	if !multi {
		return oneLine(msg)
	}
	if head != "yaml: unmarshal errors:" {
		return oneLine(head)
	}
	var lines []string
	for _, l := range strings.Split(rest, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, duplicateKey.ReplaceAllString(l, `key $1 is defined twice (first at line $2)`))
		}
	}
	return oneLine(strings.Join(lines, "; "))
}

var duplicateKey = regexp.MustCompile(`mapping key ("[^"]*") already defined at line (\d+)`)

// decodeProviders fills cfg.Providers, refusing keys tok does not know so
// that a typo does not silently change what tok does.
func decodeProviders(v *viper.Viper, cfg *config.Config, file string) error {
	raw := map[string]config.Provider{}
	err := v.UnmarshalKey("providers", &raw, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = true
	})
	if err != nil {
		return tokerr.New(tokerr.Usage, "config file %s: providers: %s", file, flatten(err.Error()))
	}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		p := raw[name]
		p.Name = name
		// Values no login could use are refused now, not at the login
		// that meets them (README "Configuration").
		if err := p.Check(); err != nil {
			return tokerr.New(tokerr.Usage, "config file %s: %s%v", file, config.KeyPath(name, ""), err)
		}
		cfg.Providers[name] = p
	}
	return nil
}

// flatten joins the lines of a multi-line decoder error into one, without
// the decoder's own preamble.
func flatten(msg string) string {
	var parts []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
		if line == "" || strings.HasPrefix(line, "decoding failed") {
			continue
		}
		// The decoder's '[name].key' paths and Go parse errors, as a
		// user reads them: "x has unknown keys: client_idd".
		line = decoderPath.ReplaceAllString(line, "$1$2")
		line = strings.Replace(line, "'' has invalid keys: ", "unknown keys: ", 1)
		line = strings.Replace(line, " has invalid keys: ", " has unknown keys: ", 1)
		if i := strings.Index(line, ": strconv."); i >= 0 {
			line = line[:i]
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, "; ")
}

var decoderPath = regexp.MustCompile(`'\[([^\]]*)\]([^']*)'`)

// topLevelKeys are the keys a config file may have outside providers.
var topLevelKeys = map[string]bool{
	"store": true, "file_plaintext": true, "file_key_file": true, "min_ttl": true, "passphrase": true,
	"client_metadata_url": true, "providers": true, "etcd": true, "profiles": true,
}

// checkTopLevel refuses unknown top-level keys: a typo must not silently
// change what tok does.
func checkTopLevel(v *viper.Viper, file string) error {
	for _, k := range v.AllKeys() {
		top, _, _ := strings.Cut(k, ".")
		if !topLevelKeys[top] {
			return tokerr.New(tokerr.Usage, "config file %s: unknown key %q", file, top)
		}
	}
	return nil
}

// decodeEtcd fills cfg.Etcd from the etcd: block, refusing unknown keys
// (a misspelt ca_file must not silently mean no TLS).
func decodeEtcd(v *viper.Viper, cfg *config.Config, file string) error {
	err := v.UnmarshalKey("etcd", &cfg.Etcd, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = true
	})
	if err != nil {
		return tokerr.New(tokerr.Usage, "config file %s: etcd: %s", file, flatten(err.Error()))
	}
	return nil
}

// etcdFromEnv lets TOK_ETCD_* variables replace the etcd: block's keys, for
// pods and CI runners configured by their environment alone.
func (a *App) etcdFromEnv(c *config.Etcd) {
	if v := a.getenv("TOK_ETCD_ENDPOINTS"); v != "" {
		c.Endpoints = nil
		for _, ep := range strings.Split(v, ",") {
			if ep = strings.TrimSpace(ep); ep != "" {
				c.Endpoints = append(c.Endpoints, ep)
			}
		}
	}
	for env, field := range map[string]*string{
		"TOK_ETCD_PREFIX": &c.Prefix, "TOK_ETCD_CA_FILE": &c.CAFile,
		"TOK_ETCD_CERT_FILE": &c.CertFile, "TOK_ETCD_KEY_FILE": &c.KeyFile,
	} {
		if v := a.getenv(env); v != "" {
			*field = v
		}
	}
}
