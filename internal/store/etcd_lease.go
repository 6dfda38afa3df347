//go:build !toktest

package store

import "time"

// etcdLease is the default lock lease of the etcd store.
func etcdLease() time.Duration { return DefaultEtcdLease }
