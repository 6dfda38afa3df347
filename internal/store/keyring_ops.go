package store

import (
	"context"
	"encoding/base64"
	"errors"
)

// Get returns the value under key. A chunked value is read head first, then
// its chunks, and checked against the head's count and hash.
func (b *keyringBackend) Get(ctx context.Context, key string) ([]byte, error) {
	// A writer replacing a chunked value deletes the old chunks just after
	// switching the head. A reader that lost that race reads the head again.
	for attempt := 0; ; attempt++ {
		head, err := b.get(ctx, key)
		if err != nil {
			return nil, err
		}
		v, err := b.decode(ctx, key, head)
		if errors.Is(err, errChunkMissing) && attempt < 2 {
			continue
		}
		return v, err
	}
}

// Set stores value under key: one item where the platform allows it, else
// chunks and a head. The head item is written last and in one call, so a
// process killed at any point leaves the old or the new value; an old
// value's chunks are deleted after it.
func (b *keyringBackend) Set(ctx context.Context, key string, value []byte) error {
	old, err := b.get(ctx, key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	head := smallPrefix + base64.StdEncoding.EncodeToString(value)
	if limit := b.itemCap(b.service, key); limit > 0 && len(head) > limit {
		h, err := b.writeChunks(ctx, key, value, head[len(smallPrefix):])
		if err != nil {
			return err
		}
		head = h.String()
	}
	if err := b.set(ctx, key, head); err != nil {
		return err
	}
	b.deleteChunks(ctx, key, old)
	return nil
}

// Delete removes key and its chunks. An absent key is not an error.
func (b *keyringBackend) Delete(ctx context.Context, key string) error {
	head, err := b.get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Head first: a kill after it leaves unreachable chunks, never a head
	// that points at chunks that are gone.
	if err := b.del(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	b.deleteChunks(ctx, key, head)
	return nil
}

func (b *keyringBackend) get(ctx context.Context, key string) (string, error) {
	return call(ctx, b, func() (string, error) { return b.kv.Get(b.service, key) })
}

func (b *keyringBackend) set(ctx context.Context, key, value string) error {
	_, err := call(ctx, b, func() (struct{}, error) { return struct{}{}, b.kv.Set(b.service, key, value) })
	return err
}

func (b *keyringBackend) del(ctx context.Context, key string) error {
	_, err := call(ctx, b, func() (struct{}, error) { return struct{}{}, b.kv.Delete(b.service, key) })
	return err
}
