package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/zalando/go-keyring"
)

// DefaultKeyringTimeout bounds every keyring call. A locked collection or a
// Secret Service that never answers would otherwise hang tok forever.
const DefaultKeyringTimeout = 5 * time.Second

// kv is the slice of go-keyring that the keyring backend uses. Tests swap
// in a fake that caps item sizes and simulates crashes between calls.
type kv interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
}

// longReads counts the keyring reads that went go-keyring's long way
// rather than getSecret's short one, for tests.
var longReads atomic.Int64

// osKeyring is the real OS keyring through go-keyring.
type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) {
	if err := checkSessionBus(); err != nil {
		return "", err
	}
	return getSecret(service, user)
}

func (osKeyring) Set(service, user, value string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	return keyring.Set(service, user, value)
}

func (osKeyring) Delete(service, user string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

var errNoSessionBus = errors.New("no d-bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)")

// checkSessionBus refuses to let godbus "autolaunch" a private session bus
// with dbus-launch: that bus has no unlocked keyring, so it can only hang
// or fail later, and it leaves a daemon behind on every run.
func checkSessionBus() error {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	run := fmt.Sprintf("/run/user/%d/", os.Getuid())
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(run + name); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}

// keyringBackend stores values in the OS keyring, chunked where they exceed
// what an item can hold (see keyring_chunks.go).
type keyringBackend struct {
	service string
	timeout time.Duration
	kv      kv
	// itemCap is the most bytes an item under service and key may hold,
	// 0 for no cap: platformItemCap, or a cap a test injects.
	itemCap func(service, key string) int
}

// minChunk is the smallest chunk written, whatever the key's length.
const minChunk = 512

// platformItemCap is what the OS keyring lets one item hold (README "Where
// tokens are kept"): Windows' credential manager takes 2560 bytes of
// secret; macOS's security tool about 3000 for service, account and secret
// together (its 4096-byte command line, after go-keyring's base64); the
// Secret Service has no cap.
func platformItemCap(service, key string) int { return itemCapOn(runtime.GOOS, service, key) }

func itemCapOn(goos, service, key string) int {
	switch goos {
	case "windows":
		return 2560
	case "darwin":
		return max(3000-len(service)-len(key), minChunk)
	}
	return 0
}

// NewKeyring returns a Backend on the OS keyring under service. Every call
// gives up after timeout (DefaultKeyringTimeout when 0). It never falls back
// to another store.
func NewKeyring(service string, timeout time.Duration) Backend {
	return newKeyring(service, timeout, osKeyring{})
}

func newKeyring(service string, timeout time.Duration, k kv) *keyringBackend {
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	return &keyringBackend{service: service, timeout: timeout, kv: k, itemCap: platformItemCap}
}

func (b *keyringBackend) Name() string { return "keyring" }

// call runs one keyring operation in a goroutine so that a hung D-Bus call
// cannot hang tok. On timeout the goroutine is abandoned: the process is
// short-lived and there is no way to cancel a go-keyring call.
func call[T any](ctx context.Context, b *keyringBackend, op func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := op()
		done <- result{v, err}
	}()
	timer := time.NewTimer(b.timeout)
	defer timer.Stop()
	var zero T
	select {
	case r := <-done:
		return r.v, b.classify(r.err)
	case <-timer.C:
		return zero, unavailable(fmt.Sprintf("the os keyring did not answer within %s (locked collection or hung secret service?)", b.timeout), causeTimeout)
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// classify maps go-keyring's errors: not-found to ErrNotFound, anything
// else to "store unavailable", since go-keyring reports D-Bus failures,
// missing services and refused unlocks all as plain errors.
func (b *keyringBackend) classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	}
	what, cause := describeKeyringError(err)
	return unavailable("the os keyring is not reachable: "+what, cause)
}

func describeKeyringError(err error) (string, keyringCause) {
	msg := err.Error()
	switch {
	case errors.Is(err, errNoSessionBus):
		return msg, causeNoBus
	case strings.Contains(msg, "org.freedesktop.secrets"):
		return "no secret service is running on the session bus", causeNoService
	case strings.Contains(msg, "dial unix"), strings.Contains(msg, "session bus"):
		return "cannot connect to the d-bus session bus", causeNoBus
	case strings.Contains(msg, "unlock"):
		return "the keyring collection is locked", causeLocked
	}
	return "secret service error", causeOther
}

// unavailable is the exit-5 error. It does not wrap the go-keyring error:
// D-Bus messages can span lines, and the message already names the cause.
func unavailable(msg string, cause keyringCause) error {
	return tokerr.New(tokerr.StoreUnavailable, "%s", msg).WithHint("%s", hostKeyringHint(cause))
}
