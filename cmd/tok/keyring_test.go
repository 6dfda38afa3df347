package main

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	testkeyring "github.com/tok-cli/tok/internal/testing/keyring"
)

// keyringScripts run a second time with TOK_STORE=keyring against the real
// Secret Service: every promise of login, print, refresh and logout must
// hold with both stores.
var keyringScripts = []string{"login_browser", "login_device", "refresh", "logout", "errors", "keyring", "stores_shared"}

// TestScriptsKeyring runs keyringScripts with the real Secret Service
// (gnome-keyring under dbus-run-session, in a temporary HOME).
func TestScriptsKeyring(t *testing.T) {
	t.Parallel()
	if !testkeyring.InSession() {
		testkeyring.Run(t, "^TestScriptsKeyring$")
		return
	}
	var files []string
	for _, s := range keyringScripts {
		files = append(files, filepath.Join("..", "..", "testdata", "script", s+".txtar"))
	}
	testscript.Run(t, scriptParams("", files...))
}

// storeFromTest is the store the scripts use: the real keyring inside
// TestScriptsKeyring's session, the encrypted file store otherwise.
func storeFromTest() string {
	if testkeyring.InSession() {
		return "keyring"
	}
	return "file"
}
