package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// errCrash stands for the process dying: after it, the fake refuses every
// call, as a dead process makes none.
var errCrash = errors.New("simulated crash")

// fakeKV is an in-memory keyring, by default with Windows' 2560-byte item
// cap. It can crash before the Nth write or delete, and hang every call.
// It counts reads.
type fakeKV struct {
	mu       sync.Mutex
	items    map[string]string
	maxValue int // 0: no cap, as the Secret Service
	crashAt  int // writes and deletes allowed before the crash; -1 never
	writes   int
	reads    int
	crashed  bool
	hang     chan struct{}
}

func newFakeKV() *fakeKV { return &fakeKV{items: map[string]string{}, crashAt: -1, maxValue: 2560} }

// newSecretServiceKV is a fake with no item cap, as on Linux.
func newSecretServiceKV() *fakeKV {
	f := newFakeKV()
	f.maxValue = 0
	return f
}

// restart returns a fake sharing f's items with no crash pending: the next
// process to run against the same keyring.
func (f *fakeKV) restart() *fakeKV {
	return &fakeKV{items: f.items, crashAt: -1, maxValue: f.maxValue}
}

// testItemCap is the cap newChunkedKeyring injects: below Windows' 2560
// and macOS's ~3000, as a long key leaves on macOS.
const testItemCap = 1800

// newChunkedKeyring is a keyring backend that chunks as on Windows and
// macOS, whatever platform the test runs on.
func newChunkedKeyring(service string, timeout time.Duration, k kv) *keyringBackend {
	b := newKeyring(service, timeout, k)
	b.itemCap = func(string, string) int { return testItemCap }
	return b
}

// newLinuxKeyring is a keyring backend with no item cap, as on the
// Secret Service, whatever platform the test runs on.
func newLinuxKeyring(service string, timeout time.Duration, k kv) *keyringBackend {
	b := newKeyring(service, timeout, k)
	b.itemCap = func(string, string) int { return 0 }
	return b
}

func (f *fakeKV) enter(mutates bool) error {
	if f.hang != nil {
		<-f.hang
	}
	if f.crashed {
		return errCrash
	}
	if mutates {
		if f.writes == f.crashAt {
			f.crashed = true
			return errCrash
		}
		f.writes++
	}
	return nil
}

func (f *fakeKV) Get(service, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(false); err != nil {
		return "", err
	}
	f.reads++
	v, ok := f.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKV) Set(service, user, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(true); err != nil {
		return err
	}
	if f.maxValue > 0 && len(value) > f.maxValue {
		return keyring.ErrSetDataTooBig
	}
	f.items[service+"\x00"+user] = value
	return nil
}

func (f *fakeKV) Delete(service, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(true); err != nil {
		return err
	}
	k := service + "\x00" + user
	if _, ok := f.items[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, k)
	return nil
}

// memBackend is a Backend in a map, for Store tests.
type memBackend struct{ m map[string][]byte }

func (b *memBackend) Name() string { return "mem" }

func (b *memBackend) Get(_ context.Context, k string) ([]byte, error) {
	v, ok := b.m[k]
	if !ok {
		return nil, ErrNotFound
	}
	return v, nil
}

func (b *memBackend) Set(_ context.Context, k string, v []byte) error {
	b.m[k] = v
	return nil
}

func (b *memBackend) Delete(_ context.Context, k string) error {
	delete(b.m, k)
	return nil
}
