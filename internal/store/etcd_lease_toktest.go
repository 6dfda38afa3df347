//go:build toktest

package store

import (
	"os"
	"time"
)

// etcdLease, in a tok built with -tags toktest (tests only, never a
// release), reads the lock lease from TOK_TEST_ETCD_LEASE, so that a test
// killing lock holders twenty times waits a short lease each time instead
// of 15s.
func etcdLease() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("TOK_TEST_ETCD_LEASE")); err == nil && d > 0 {
		return d
	}
	return DefaultEtcdLease
}
