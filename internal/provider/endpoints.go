package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tok-cli/tok/internal/atomicfile"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// CacheTTL bounds how long a discovered document is trusted before it is
// fetched again.
const CacheTTL = 24 * time.Hour

// Discoverer fetches and caches authorization server metadata.
type Discoverer struct {
	HTTP     *http.Client
	CacheDir string // "" disables the cache
	Now      func() time.Time
}

type cached struct {
	FetchedAt time.Time `json:"fetched_at"`
	Metadata  Metadata  `json:"metadata"`
}

// Endpoints returns p's endpoints: the explicit ones, completed by
// discovery when an issuer is set and something is missing.
func (d *Discoverer) Endpoints(ctx context.Context, p *Provider) (*Metadata, error) {
	md := &Metadata{
		Issuer: p.Issuer, AuthURL: p.AuthURL, TokenURL: p.TokenURL,
		DeviceAuthURL: p.DeviceAuthURL, RevocationURL: p.RevocationURL, UserinfoURL: p.UserinfoURL,
	}
	if err := p.checkCleartext(); err != nil {
		return nil, err
	}
	if p.Issuer == "" || (p.AuthURL != "" && p.TokenURL != "") {
		if md.TokenURL == "" {
			return nil, tokerr.New(tokerr.Usage, "provider %s has no token_url", p.Name)
		}
		return md, nil
	}
	found, err := d.Discover(ctx, p.Issuer)
	if err != nil {
		return nil, tokerr.Wrap(tokerr.Failure, err, "provider %s", p.Name)
	}
	out := *found
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&out.AuthURL, p.AuthURL}, {&out.TokenURL, p.TokenURL},
		{&out.DeviceAuthURL, p.DeviceAuthURL}, {&out.RevocationURL, p.RevocationURL},
		{&out.UserinfoURL, p.UserinfoURL},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return &out, nil
}

// Discover returns issuer's metadata, from the cache when it is younger
// than CacheTTL.
func (d *Discoverer) Discover(ctx context.Context, issuer string) (*Metadata, error) {
	path := d.cachePath(issuer)
	if md := d.readCache(path); md != nil {
		return md, nil
	}
	urls, err := MetadataURLs(issuer)
	if err != nil {
		return nil, err
	}
	md, err := Fetch(ctx, d.HTTP, issuer, urls)
	if err != nil {
		// A busy or unreachable server does not undo what it said
		// before: an older document beats no document.
		if stale := d.readCacheAged(path, -1); stale != nil && wire.Transient(err) {
			return stale, nil
		}
		return nil, err
	}
	d.writeCache(path, md)
	return md, nil
}

// Cached returns issuer's metadata as last discovered, whatever its age,
// or nil when tok has not read it yet. It makes no request: for listings
// that must not wait on the network (tok providers).
func (d *Discoverer) Cached(issuer string) *Metadata {
	return d.readCacheAged(d.cachePath(issuer), -1)
}

func (d *Discoverer) cachePath(issuer string) string {
	if d.CacheDir == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(issuer))
	return filepath.Join(d.CacheDir, hex.EncodeToString(sum[:12])+".json")
}

func (d *Discoverer) readCache(path string) *Metadata { return d.readCacheAged(path, CacheTTL) }

// readCacheAged reads the cached document if it is younger than maxAge,
// whatever its age when maxAge < 0.
func (d *Discoverer) readCacheAged(path string, maxAge time.Duration) *Metadata {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var c cached
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	age := d.Now().Sub(c.FetchedAt)
	if maxAge >= 0 && (age < 0 || age > maxAge) {
		return nil
	}
	return &c.Metadata
}

// writeCache is best effort: a failed write only costs a later fetch.
func (d *Discoverer) writeCache(path string, md *Metadata) {
	if path == "" {
		return
	}
	b, err := json.Marshal(cached{FetchedAt: d.Now(), Metadata: *md})
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	atomicfile.Write(filepath.Dir(path), filepath.Base(path), b)
}

// checkCleartext refuses configured URLs that would send codes, tokens or
// the client secret, or fetch the metadata that names where they go, over
// plain http to another machine.
func (p *Provider) checkCleartext() error {
	if p.Issuer != "" {
		if err := SecureURL(p.Issuer); err != nil {
			return tokerr.New(tokerr.Usage, "provider %s: issuer %s is not https: its metadata could be forged on the way", p.Name, p.Issuer).
				WithHint("use the https issuer; plain http is only for 127.0.0.1 and localhost")
		}
	}
	for _, u := range []string{p.AuthURL, p.TokenURL, p.DeviceAuthURL, p.RevocationURL, p.UserinfoURL} {
		if u == "" {
			continue
		}
		if err := SecureURL(u); err != nil {
			return tokerr.Wrap(tokerr.Usage, err, "provider %s", p.Name)
		}
	}
	return nil
}
