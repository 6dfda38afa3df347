package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Where the platform's keyring caps an item (Windows: 2560 bytes of
// secret; macOS: about 3000 for service, account and secret together), a
// value is base64-encoded and cut into chunks that fit, behind a head item
// that names them. The Secret Service has no cap: there every value is one
// item, read in one call. Heads written by older versions on Linux, which
// chunked everywhere, are still read; the next Set writes one item.
const (
	maxChunks   = 4096
	smallPrefix = "tok-v1:"
	chunkPrefix = "tok-chunks:v1:"
)

// errChunkMissing is a head that names a chunk that is not there: a reader
// that raced a writer, or a store damaged from outside.
var errChunkMissing = fmt.Errorf("%w: a chunk is missing", ErrCorrupt)

// chunkHead is the parsed head item of a chunked value.
type chunkHead struct {
	gen string
	n   int
	sum string
}

func (h chunkHead) String() string {
	return fmt.Sprintf("%s%s:%d:%s", chunkPrefix, h.gen, h.n, h.sum)
}

// parseHead reads a chunk header. Small values start with smallPrefix, so
// no stored value can be taken for a header.
func parseHead(s string) (chunkHead, bool) {
	rest, ok := strings.CutPrefix(s, chunkPrefix)
	parts := strings.Split(rest, ":")
	if !ok || len(parts) != 3 || !isHex(parts[0], 16) || !isHex(parts[2], 64) {
		return chunkHead{}, false
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 1 || n > maxChunks {
		return chunkHead{}, false
	}
	return chunkHead{gen: parts[0], n: n, sum: parts[2]}, true
}

func isHex(s string, n int) bool {
	_, err := hex.DecodeString(s)
	return len(s) == n && err == nil
}

func chunkKey(key, gen string, i int) string {
	return fmt.Sprintf("%s#%s#%d", key, gen, i)
}

func newGeneration() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func checksum(v []byte) string {
	s := sha256.Sum256(v)
	return hex.EncodeToString(s[:])
}

func corruptItem(key string, err error) error {
	return fmt.Errorf("keyring item %s: %w", key, err)
}

// decode turns a head item into the stored value, reading chunks if the
// head is a chunk header.
func (b *keyringBackend) decode(ctx context.Context, key, head string) ([]byte, error) {
	if s, ok := strings.CutPrefix(head, smallPrefix); ok {
		v, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, corruptItem(key, ErrCorrupt)
		}
		return v, nil
	}
	h, ok := parseHead(head)
	if !ok {
		return nil, corruptItem(key, ErrCorrupt)
	}
	var enc strings.Builder
	for i := range h.n {
		part, err := b.get(ctx, chunkKey(key, h.gen, i))
		if errors.Is(err, ErrNotFound) {
			return nil, corruptItem(key, errChunkMissing)
		}
		if err != nil {
			return nil, err
		}
		enc.WriteString(part)
	}
	v, err := base64.StdEncoding.DecodeString(enc.String())
	if err != nil || checksum(v) != h.sum {
		return nil, corruptItem(key, ErrCorrupt)
	}
	return v, nil
}

// writeChunks stores enc (the base64 of value) as a new generation of
// chunks and returns the head that points at them. The head is not written
// here: until it is, readers still see the old value.
func (b *keyringBackend) writeChunks(ctx context.Context, key string, value []byte, enc string) (chunkHead, error) {
	gen := newGeneration()
	size := b.itemCap(b.service, chunkKey(key, gen, maxChunks))
	if size < minChunk {
		size = minChunk
	}
	h := chunkHead{gen: gen, n: (len(enc) + size - 1) / size, sum: checksum(value)}
	if h.n > maxChunks {
		return h, fmt.Errorf("value for %s is too big for the keyring (%d bytes)", key, len(value))
	}
	for i := range h.n {
		part := enc[i*size : min((i+1)*size, len(enc))]
		if err := b.set(ctx, chunkKey(key, h.gen, i), part); err != nil {
			b.deleteChunks(context.WithoutCancel(ctx), key, h.String())
			return h, err
		}
	}
	return h, nil
}

// deleteChunks removes the chunks a head points at, if it is a chunk
// header. It is best effort: a leftover chunk is unreachable and harmless,
// while failing a Set whose new value is already in place would mislead.
func (b *keyringBackend) deleteChunks(ctx context.Context, key, head string) {
	h, ok := parseHead(head)
	if !ok {
		return
	}
	for i := range h.n {
		if err := b.del(ctx, chunkKey(key, h.gen, i)); err != nil && !errors.Is(err, ErrNotFound) {
			return
		}
	}
}
