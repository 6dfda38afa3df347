package main

// Helpers for the headless, remote and CI scripts and tests (issue 4).
// They live here rather than in commands_test.go so that the two files
// can grow independently.

func init() {
	scriptVars = append(scriptVars,
		"SSH_TTY", "WAYLAND_DISPLAY", "BROWSER", "NO_COLOR", "TERM",
		"TOK_PASSPHRASE_FILE", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR",
		"TOK_CI_ISSUER", "TOK_CI_TOKEN_URL", "TOK_CI_CLIENT_ID", "TOK_CI_CLIENT_SECRET", "TOK_CI_FLOW", "TOK_CI_SCOPES",
		"TOK_SVC2_ISSUER", "TOK_SVC2_CLIENT_SECRET",
		"TOK_NODEV_ISSUER", "TOK_NODEV_AUTH_URL", "TOK_NODEV_TOKEN_URL", "TOK_NODEV_CLIENT_ID",
	)
}
