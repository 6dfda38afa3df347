package store

import "runtime"

// keyringCause is why the OS keyring could not be used; each has its own
// remedy.
type keyringCause int

const (
	causeOther     keyringCause = iota
	causeNoBus                  // no D-Bus session bus at all (SSH, containers, CI)
	causeNoService              // a bus, but nothing owns org.freedesktop.secrets
	causeLocked                 // the collection is locked and the unlock was refused
	causeTimeout                // no answer in time: usually an unlock prompt nobody sees
)

// fileStoreHint is the alternative that works on every host.
const fileStoreHint = "use the file store: TOK_STORE=file with TOK_FILE_KEY (tok keygen) or TOK_PASSPHRASE"

// keyringHint names the exact alternatives for this kind of host and
// failure, on one line.
func keyringHint(goos string, cause keyringCause) string {
	switch goos {
	case "darwin":
		return "unlock the login keychain (security unlock-keychain ~/Library/Keychains/login.keychain-db), or " + fileStoreHint
	case "windows":
		return fileStoreHint + " (the Credential Manager is not available to this session)"
	}
	switch cause {
	case causeNoBus:
		return fileStoreHint + ", or start a Secret Service: dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock --components=secrets; tok ...'"
	case causeNoService:
		return "start a Secret Service (gnome-keyring-daemon --start --components=secrets, or KeePassXC with Secret Service integration), or " + fileStoreHint
	case causeLocked, causeTimeout:
		return "unlock the keyring (log in to the desktop session, or gnome-keyring-daemon --unlock), or " + fileStoreHint
	}
	return fileStoreHint + ", or check that a Secret Service (gnome-keyring, KeePassXC) runs on the session bus"
}

func hostKeyringHint(cause keyringCause) string { return keyringHint(runtime.GOOS, cause) }
