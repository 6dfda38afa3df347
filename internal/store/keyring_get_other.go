//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package store

import "github.com/zalando/go-keyring"

// getSecret is go-keyring's Get where there is no Secret Service.
func getSecret(service, user string) (string, error) { return keyring.Get(service, user) }
