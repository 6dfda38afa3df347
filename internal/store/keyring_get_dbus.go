//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package store

import (
	"strings"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
	ss "github.com/zalando/go-keyring/secret_service"
)

// The Secret Service's names (freedesktop.org Secret Service API 0.2).
const (
	secretsName    = "org.freedesktop.secrets"
	secretsPath    = "/org/freedesktop/secrets"
	secretsService = "org.freedesktop.Secret.Service"
	loginPrefix    = "/org/freedesktop/secrets/collection/login/"
)

// getSecret reads one item the short way: SearchItems across the
// collections and OpenSession sent at once, then GetSecret, two round
// trips where go-keyring's Get makes seven (collections, unlock, search,
// session, unlock, secret, close). It reads what go-keyring writes (the
// attributes "service" and "username", the login collection first). An
// item in a locked collection, or any answer it does not expect, goes the
// long way through go-keyring, which unlocks with a prompt.
func getSecret(service, user string) (string, error) {
	svc, err := ss.NewSecretService()
	if err != nil {
		return "", err
	}
	obj := svc.Object(secretsName, secretsPath)
	search := obj.Go(secretsService+".SearchItems", 0, nil, map[string]string{"username": user, "service": service})
	open := obj.Go(secretsService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	var unlocked, locked []dbus.ObjectPath
	searchErr := (<-search.Done).Store(&unlocked, &locked)
	var ignored dbus.Variant
	var session dbus.ObjectPath
	if err := (<-open.Done).Store(&ignored, &session); err != nil || searchErr != nil {
		return longRead(service, user)
	}
	// The session ends with the connection anyway; exec --serve keeps the
	// connection, so close it without waiting for the answer.
	defer svc.Object(secretsName, session).Go("org.freedesktop.Secret.Session.Close", dbus.FlagNoReplyExpected, nil)
	if len(unlocked) == 0 {
		if len(locked) == 0 {
			return "", keyring.ErrNotFound
		}
		return longRead(service, user)
	}
	var secret ss.Secret
	if err := svc.Object(secretsName, loginItem(unlocked)).Call("org.freedesktop.Secret.Item.GetSecret", 0, session).Store(&secret); err != nil {
		return longRead(service, user)
	}
	return string(secret.Value), nil
}

func longRead(service, user string) (string, error) {
	longReads.Add(1)
	return keyring.Get(service, user)
}

// loginItem is the item go-keyring would read: the one in the login
// collection, else the first.
func loginItem(items []dbus.ObjectPath) dbus.ObjectPath {
	for _, it := range items {
		if strings.HasPrefix(string(it), loginPrefix) {
			return it
		}
	}
	return items[0]
}
