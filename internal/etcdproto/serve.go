package etcdproto

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Cluster is what the helper does with the cluster; errors are *Error.
type Cluster interface {
	Get(ctx context.Context, key string) ([]KV, error)
	List(ctx context.Context, prefix string, limit int64) ([]KV, error)
	Txn(ctx context.Context, r Request) (ok bool, rev int64, err error)
	// Lock holds the named lock; onWait runs once if another holder has
	// it. The returned func releases it.
	Lock(ctx context.Context, key string, onWait func()) (func(), error)
}

// Serve is the helper: it reads the Config line, connects with open,
// then answers requests, each in its own goroutine, until in ends. It
// ignores SIGINT, SIGTERM and SIGHUP: a Ctrl-C meant for tok exec's child
// reaches the whole process group, and tok, which may go on serving the
// child tokens, ends the helper by closing its stdin.
func Serve(in io.Reader, out io.Writer, open func(Config) (Cluster, error)) error {
	signal.Ignore(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	s := &server{out: json.NewEncoder(out), unlocks: map[int64]func(){}}
	if !sc.Scan() {
		return sc.Err()
	}
	var c Config
	if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
		s.send(Response{Err: &Error{Kind: KindOther, Detail: "bad config line"}})
		return err
	}
	cl, err := open(c)
	if err != nil {
		s.send(Response{Err: asError(err)})
		return nil
	}
	s.send(Response{OK: true})
	for sc.Scan() {
		var r Request
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		go s.handle(cl, r)
	}
	return sc.Err()
}

type server struct {
	mu  sync.Mutex
	out *json.Encoder
	// unlocks holds, by request ID, what releases a held lock, or
	// ends the wait for one.
	unlocks map[int64]func()
}

func (s *server) send(r Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Encode(r)
}

func (s *server) handle(cl Cluster, r Request) {
	ctx := context.Background()
	resp := Response{ID: r.ID}
	var err error
	switch r.Op {
	case OpGet:
		resp.KVs, err = cl.Get(ctx, r.Key)
	case OpList:
		resp.KVs, err = cl.List(ctx, r.Key, r.Limit)
	case OpTxn:
		resp.OK, resp.Rev, err = cl.Txn(ctx, r)
	case OpLock:
		// An unlock that comes while the lock is waited for ends the
		// wait.
		lctx, cancel := context.WithCancel(ctx)
		s.mu.Lock()
		s.unlocks[r.ID] = cancel
		s.mu.Unlock()
		var unlock func()
		unlock, err = cl.Lock(lctx, r.Key, func() { s.send(Response{ID: r.ID, Waiting: true}) })
		s.mu.Lock()
		_, wanted := s.unlocks[r.ID]
		delete(s.unlocks, r.ID)
		if err == nil && wanted {
			// lctx keeps the lock's lease alive until then.
			s.unlocks[r.ID] = func() { unlock(); cancel() }
		}
		s.mu.Unlock()
		if err == nil && !wanted {
			unlock()
			err = context.Canceled
		}
		if err != nil {
			cancel()
		}
		resp.OK = err == nil
	case OpUnlock:
		s.mu.Lock()
		unlock := s.unlocks[r.Lock]
		delete(s.unlocks, r.Lock)
		s.mu.Unlock()
		if unlock != nil {
			unlock()
		}
		resp.OK = true
	default:
		err = &Error{Kind: KindOther, Detail: "unknown op " + r.Op}
	}
	if err != nil {
		resp.Err = asError(err)
	}
	s.send(resp)
}

func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Kind: KindOther, Detail: err.Error()}
}
