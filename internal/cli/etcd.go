package cli

import (
	"context"
	"net"
	"os"
	"strings"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// etcdStore is the fleet's store from the etcd: block (README "A store
// shared by a fleet"), made once per command.
func (a *App) etcdStore() (*store.Etcd, error) {
	if a.etcd != nil {
		return a.etcd, nil
	}
	c := a.cfg.Etcd
	if len(c.Endpoints) == 0 || c.Prefix == "" {
		return nil, tokerr.New(tokerr.Usage, "store: etcd needs endpoints and a prefix in the etcd: block of %s", a.configName()).
			WithHint("see the README, A store shared by a fleet")
	}
	if err := a.checkEtcdEndpoints(c); err != nil {
		return nil, err
	}
	seal, err := a.fleetSealer()
	if err != nil {
		return nil, err
	}
	prefix := c.Prefix
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	e, err := store.NewEtcd(store.EtcdOptions{
		Endpoints: c.Endpoints, Prefix: prefix, Seal: seal, Note: a.noteLine,
		CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile,
		Username: a.getenv("TOK_ETCD_USERNAME"), Password: a.getenv("TOK_ETCD_PASSWORD"),
		Environ: os.Environ(),
	})
	if err != nil {
		return nil, err
	}
	a.etcd = e
	return e, nil
}

func (a *App) configName() string {
	if a.cfg.File != "" {
		return a.cfg.File
	}
	return "the config file"
}

// fleetSealer seals records to the key or passphrase every host of the
// fleet shares, found as for the file store (a.sealer). None: nil, and the
// store says what to set when it first needs it; status, which reads only
// the index, works without.
func (a *App) fleetSealer() (store.Sealer, error) {
	s, _, err := a.sealer()
	return s, err
}

// checkEtcdEndpoints refuses to send TOK_ETCD_PASSWORD in clear across a
// network: http:// endpoints are for loopback. An endpoint without a
// scheme is TLS only when the etcd: block has TLS files, as the etcd
// client treats it.
func (a *App) checkEtcdEndpoints(c config.Etcd) error {
	if a.getenv("TOK_ETCD_PASSWORD") == "" {
		return nil
	}
	for _, ep := range c.Endpoints {
		scheme, rest, found := strings.Cut(ep, "://")
		if !found {
			scheme, rest = "http", ep
			if c.CAFile != "" || c.CertFile != "" {
				scheme = "https"
			}
		}
		if scheme == "https" || scheme == "unixs" || scheme == "unix" {
			continue
		}
		host := rest
		if h, _, err := net.SplitHostPort(strings.TrimSuffix(rest, "/")); err == nil {
			host = h
		}
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			continue
		}
		return tokerr.New(tokerr.Usage, "etcd endpoint %s is not https: TOK_ETCD_PASSWORD would cross the network in clear", ep).
			WithHint("use https:// endpoints with ca_file")
	}
	return nil
}

// loginEntries is the index status lists: the fleet's, from etcd, with the
// etcd store; else the state dir's. Neither reads a secret.
func (a *App) loginEntries(ctx context.Context) ([]store.Entry, error) {
	if a.Backend == nil && a.cfg.Store == "etcd" {
		e, err := a.etcdStore()
		if err != nil {
			return nil, err
		}
		return e.Entries(ctx)
	}
	return a.loginIndex().List()
}
