// Package etcdproto is how tok talks to tok-etcd, the helper that holds
// its connection to an etcd cluster (README "A store shared by a fleet").
// The etcd client (gRPC, protobuf) lives in the helper alone, so that the
// start-up of every other tok command does not pay for it: tok starts the
// helper when a command first needs the store, sends it one Config line,
// then requests, one JSON object a line on the helper's stdin; answers
// come back the same way, matched by ID, in any order. The helper exits
// when its stdin closes: when tok exits or dies. It only ever sees
// ciphertext and the index: tok seals records before they leave it.
package etcdproto

import (
	"time"
)

// Config is the helper's first line.
type Config struct {
	Endpoints []string `json:"endpoints"`
	CAFile    string   `json:"ca_file,omitempty"`
	CertFile  string   `json:"cert_file,omitempty"`
	KeyFile   string   `json:"key_file,omitempty"`
	// Timeout bounds each request to the cluster.
	Timeout time.Duration `json:"timeout"`
	// Lease is the lock lease. LockWait bounds waiting for a lock while
	// one holder keeps it, LockMaxWait the whole wait however often it
	// changes hands (0: DefaultLockWait, DefaultLockMaxWait).
	Lease       time.Duration `json:"lease"`
	LockWait    time.Duration `json:"lock_wait"`
	LockMaxWait time.Duration `json:"lock_max_wait,omitempty"`
	// The username and password come from TOK_ETCD_USERNAME and
	// TOK_ETCD_PASSWORD in the helper's environment, never a pipe or an
	// argument.
}

// The defaults of Config's lock waits. DefaultLockWait is longer than
// one holder's legitimate turn: a discovery, a refresh and a token
// exchange, each bounded by the 30s HTTP timeout, and the store's writes.
// DefaultLockMaxWait ends a wait that a lock changing hands would
// otherwise prolong without end.
const (
	DefaultLockWait    = 2 * time.Minute
	DefaultLockMaxWait = 10 * time.Minute
)

// Ops of a Request.
const (
	OpGet    = "get"    // Key: the value and mod revision, or none
	OpList   = "list"   // Key is a prefix; at most Limit (0: all), sorted by key
	OpTxn    = "txn"    // If all hold: Put and Delete, in one transaction
	OpLock   = "lock"   // Key names the lock; answered once held
	OpUnlock = "unlock" // Lock: the ID of the request that took or waits for it
)

// Request is one line to the helper.
type Request struct {
	ID     int64    `json:"id"`
	Op     string   `json:"op"`
	Key    string   `json:"key,omitempty"`
	Limit  int64    `json:"limit,omitempty"`
	If     []Cond   `json:"if,omitempty"`
	Put    []KV     `json:"put,omitempty"`
	Delete []string `json:"delete,omitempty"`
	Lock   int64    `json:"lock,omitempty"`
}

// Cond holds when Key's mod revision is ModRev (0: the key is absent).
type Cond struct {
	Key    string `json:"key"`
	ModRev int64  `json:"mod_rev"`
}

// KV is a key, its value and mod revision.
type KV struct {
	Key    string `json:"key"`
	Value  []byte `json:"value"`
	ModRev int64  `json:"mod_rev,omitempty"`
}

// Response is one line from the helper. A lock request may first get a
// Response with Waiting set (another holder has it), then its answer.
type Response struct {
	ID      int64  `json:"id"`
	KVs     []KV   `json:"kvs,omitempty"`
	OK      bool   `json:"ok,omitempty"`
	Rev     int64  `json:"rev,omitempty"`
	Waiting bool   `json:"waiting,omitempty"`
	Err     *Error `json:"error,omitempty"`
}

// Error is a failure of the cluster, by kind; tok words it.
type Error struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

// Error kinds.
const (
	KindTimeout     = "timeout"       // no answer within Timeout: unreachable, or no quorum
	KindTLS         = "tls"           // the TLS handshake failed; Detail says why
	KindAuth        = "auth"          // the username or password was refused
	KindDenied      = "denied"        // the user may not use the prefix
	KindLockWait    = "lock_wait"     // one holder kept the lock for LockWait
	KindLockMaxWait = "lock_max_wait" // LockMaxWait ran out, the lock changing hands
	KindOther       = "other"
)

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Kind
	}
	return e.Kind + ": " + e.Detail
}
