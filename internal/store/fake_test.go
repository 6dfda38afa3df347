package store

import (
	"context"
	"errors"
	"sync"

	"github.com/zalando/go-keyring"
)

// errCrash stands for the process dying: after it, the fake refuses every
// call, as a dead process makes none.
var errCrash = errors.New("simulated crash")

// fakeKV is an in-memory keyring with Windows' 2560-byte item cap. It can
// crash before the Nth write or delete, and hang every call.
type fakeKV struct {
	mu      sync.Mutex
	items   map[string]string
	crashAt int // writes and deletes allowed before the crash; -1 never
	writes  int
	crashed bool
	hang    chan struct{}
}

func newFakeKV() *fakeKV { return &fakeKV{items: map[string]string{}, crashAt: -1} }

// restart returns a fake sharing f's items with no crash pending: the next
// process to run against the same keyring.
func (f *fakeKV) restart() *fakeKV {
	return &fakeKV{items: f.items, crashAt: -1}
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
	if len(value) > 2560 {
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
