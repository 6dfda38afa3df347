package cli

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/tokerr"
)

// The config file's typed keys are checked here, before the decoder sees
// them, so that a wrong value is one line in tok's words naming the key
// path and what it expects (`providers.dex.default_ttl "forever" is not a
// duration like 1h`), not the decoder's Go type names. Unknown keys are
// left to the decoder, which refuses them.

// topLevelTypes are the typed top-level keys outside the blocks decoded
// below (min_ttl is parsed on its own, with TOK_MIN_TTL).
type topLevelTypes struct {
	Store             string `mapstructure:"store"`
	FilePlaintext     bool   `mapstructure:"file_plaintext"`
	FileKeyFile       string `mapstructure:"file_key_file"`
	ClientMetadataURL string `mapstructure:"client_metadata_url"`
	Passphrase        string `mapstructure:"passphrase"`
}

// typeCheck checks values read from one config file. In JSON and TOML a
// string is written quoted, so a number or true where a string is expected
// is a mistake (issuer: 5); YAML reads an unquoted client_id: 12345 as a
// number, so there any single value is taken as text.
type typeCheck struct {
	strictStrings bool
}

// checkConfigTypes checks the values of the config file's typed keys and
// its provider names. Errors are usage errors naming file. Blocks are read
// with v.Get, which keeps map keys whole (AllSettings would split a
// profile's "https://mcp.example.com/mcp" on its dots).
func checkConfigTypes(v *viper.Viper, file string) error {
	ext := strings.ToLower(filepath.Ext(file))
	c := typeCheck{strictStrings: ext == ".json" || ext == ".toml"}
	top := map[string]any{}
	for _, k := range []string{"store", "file_plaintext", "file_key_file", "client_metadata_url", "passphrase"} {
		top[k] = v.Get(k)
	}
	err := c.checkValue("", top, reflect.TypeOf(topLevelTypes{}))
	if err == nil {
		err = c.checkBlock("providers", v.Get("providers"), reflect.TypeOf(config.Provider{}), true)
	}
	if err == nil {
		err = c.checkBlock("profiles", v.Get("profiles"), reflect.TypeOf(config.Profile{}), false)
	}
	if err == nil {
		err = c.checkValue("etcd", v.Get("etcd"), reflect.TypeOf(config.Etcd{}))
	}
	if err != nil {
		return tokerr.New(tokerr.Usage, "config file %s: %v", file, err)
	}
	return nil
}

// checkBlock checks a map of named entries of type t (providers:,
// profiles:). Provider names must be names a target can hold.
func (c typeCheck) checkBlock(path string, raw any, t reflect.Type, providerNames bool) error {
	if raw == nil {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not a map of names to settings", path)
	}
	for _, name := range sortedKeys(m) {
		if providerNames && !provider.ValidName(name) {
			return fmt.Errorf("provider name %q is not a name a target can hold: use 1 to 128 letters, digits, '.', '_' and '-'", name)
		}
		if err := c.checkValue(path+"."+name, m[name], t); err != nil {
			return err
		}
	}
	return nil
}

var durationType = reflect.TypeOf(time.Duration(0))

// checkValue checks v, the value at key path, against the Go type t it
// decodes into. The decoder's weak typing is kept where it reads as meant
// ("true" for true, "8080" for a port, YAML's unquoted numbers as text),
// never where it would change a value: a single value is not a list
// (scopes: openid email would be one scope named "openid email").
func (c typeCheck) checkValue(path string, v any, t reflect.Type) error {
	if v == nil {
		return nil
	}
	switch {
	case t == durationType:
		return checkDuration(path, v)
	case t.Kind() == reflect.Struct:
		return c.checkStruct(path, v, t)
	case t.Kind() == reflect.Bool:
		if b, isStr := v.(string); isStr {
			if _, err := strconv.ParseBool(b); err == nil {
				return nil
			}
		} else if _, isBool := v.(bool); isBool {
			return nil
		}
		return fmt.Errorf("%s %s is not true or false", path, shownValue(v))
	case t.Kind() == reflect.Int:
		if !isWholeNumber(v) {
			return fmt.Errorf("%s %s is not a whole number", path, shownValue(v))
		}
	case t.Kind() == reflect.String:
		if !isScalar(v) {
			return fmt.Errorf("%s is not a single value (a string)", path)
		}
		if _, isStr := v.(string); c.strictStrings && !isStr {
			return fmt.Errorf("%s %s is not a string: write it in quotes", path, shownValue(v))
		}
	case t.Kind() == reflect.Slice:
		return checkList(path, v)
	case t.Kind() == reflect.Map:
		return checkMap(path, v, t.Elem())
	}
	return nil
}

func (c typeCheck) checkStruct(path string, v any, t reflect.Type) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not a map of settings", path)
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("mapstructure")
		val, set := m[key]
		if key == "" || key == "-" || !set {
			continue
		}
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		if err := c.checkValue(sub, val, f.Type); err != nil {
			return err
		}
	}
	return nil
}

func checkDuration(path string, v any) error {
	s, ok := v.(string)
	if !ok {
		if isWholeNumber(v) && fmt.Sprint(v) == "0" {
			return nil
		}
		return fmt.Errorf("%s %s is not a duration like 1h (give a unit)", path, shownValue(v))
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Errorf("%s %q is not a duration like 1h", path, s)
	case d < 0:
		return fmt.Errorf("%s %q is negative: give a duration like 1h", path, s)
	}
	return nil
}

// checkList accepts a list of single values. A single value is refused
// with the list it may have meant: [openid, email] for "openid email".
func checkList(path string, v any) error {
	if v == nil {
		return nil
	}
	if isScalar(v) {
		return fmt.Errorf("%s %s is not a list: write [%s]", path, shownValue(v), strings.Join(strings.Fields(fmt.Sprint(v)), ", "))
	}
	l, ok := v.([]any)
	if ok {
		for _, e := range l {
			if !isScalar(e) {
				ok = false
			}
		}
	}
	if !ok {
		return fmt.Errorf("%s is not a list of values like [a, b]", path)
	}
	return nil
}

func checkMap(path string, v any, elem reflect.Type) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not a map like {key: value}", path)
	}
	for _, k := range sortedKeys(m) {
		if elem.Kind() == reflect.Slice {
			if err := checkList(path+"."+k, m[k]); err != nil {
				return err
			}
		} else if !isScalar(m[k]) {
			return fmt.Errorf("%s is not a map like {key: value}: %s is not a single value", path, k)
		}
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, int, int64, uint64, float64:
		return true
	}
	return false
}

func isWholeNumber(v any) bool {
	switch n := v.(type) {
	case int, int64, uint64:
		return true
	case float64:
		return n == float64(int64(n))
	case string:
		_, err := strconv.Atoi(n)
		return err == nil
	}
	return false
}

// shownValue quotes a value from the config file for a one-line message,
// cut to 60 characters.
func shownValue(v any) string {
	s, isStr := v.(string)
	if !isStr {
		if !isScalar(v) {
			return "(a list or map)"
		}
		s = fmt.Sprint(v)
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "..."
	}
	if isStr {
		return strconv.Quote(s)
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
