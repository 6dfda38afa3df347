package cli

// keyringService is the keyring service tok's items live under:
// TOK_KEYRING_SERVICE, to keep separate sets of logins apart, else "tok".
func (a *App) keyringService() string {
	if s := a.getenv("TOK_KEYRING_SERVICE"); s != "" {
		return s
	}
	return "tok"
}
