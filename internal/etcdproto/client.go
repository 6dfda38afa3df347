package etcdproto

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// Client is tok's end of a running helper.
type Client struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer

	wmu sync.Mutex // one line at a time on stdin

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan Response
	dead    error // set once the helper's stdout ends
}

// Start runs the helper at path with env and sends it c. It returns once
// the helper has its client, or with the helper's error (a refused login
// is one).
func Start(ctx context.Context, path string, env []string, c Config) (*Client, error) {
	cmd := exec.Command(path)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cl := &Client{cmd: cmd, stdin: stdin, pending: map[int64]chan Response{}}
	cmd.Stderr = &cl.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	first := make(chan Response, 1)
	cl.pending[0] = first
	go cl.read(stdout)
	line, _ := json.Marshal(c)
	if err := cl.write(line); err != nil {
		cl.Close()
		return nil, err
	}
	select {
	case r := <-first:
		if r.Err != nil {
			cl.Close()
			return nil, r.Err
		}
		return cl, nil
	case <-ctx.Done():
		cl.Close()
		return nil, ctx.Err()
	}
}

func (cl *Client) write(line []byte) error {
	cl.wmu.Lock()
	defer cl.wmu.Unlock()
	_, err := cl.stdin.Write(append(line, '\n'))
	return err
}

// read hands each answer to its caller until the helper's stdout ends.
func (cl *Client) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var r Response
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		cl.mu.Lock()
		ch := cl.pending[r.ID]
		if !r.Waiting {
			delete(cl.pending, r.ID)
		}
		cl.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
	cl.cmd.Wait()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.dead = &Error{Kind: KindOther, Detail: "tok-etcd exited" + cl.lastWords()}
	for id, ch := range cl.pending {
		ch <- Response{ID: id, Err: cl.dead.(*Error)}
		delete(cl.pending, id)
	}
}

// lastWords is the last line the helper wrote on stderr (a Go panic's
// first line, say), for the error.
func (cl *Client) lastWords() string {
	s := strings.TrimSpace(cl.stderr.String())
	if s == "" {
		return ""
	}
	first, _, _ := strings.Cut(s, "\n")
	return ": " + first
}

// Call sends r and waits for its answer. onWait, if set, runs when the
// helper says it waits for a lock. A cancelled ctx abandons the answer,
// and the lock if r takes one.
func (cl *Client) Call(ctx context.Context, r Request, onWait func()) (Response, error) {
	ch := make(chan Response, 2)
	cl.mu.Lock()
	if cl.dead != nil {
		cl.mu.Unlock()
		return Response{}, cl.dead
	}
	cl.nextID++
	r.ID = cl.nextID
	cl.pending[r.ID] = ch
	cl.mu.Unlock()
	line, err := json.Marshal(r)
	if err != nil {
		return Response{}, err
	}
	if err := cl.write(line); err != nil {
		return Response{}, fmt.Errorf("tok-etcd: %w", err)
	}
	for {
		select {
		case resp := <-ch:
			if resp.Waiting {
				if onWait != nil {
					onWait()
				}
				continue
			}
			if resp.Err != nil {
				return resp, resp.Err
			}
			return resp, nil
		case <-ctx.Done():
			cl.mu.Lock()
			delete(cl.pending, r.ID)
			cl.nextID++
			drop := Request{ID: cl.nextID, Op: OpUnlock, Lock: r.ID}
			cl.mu.Unlock()
			if r.Op == OpLock {
				// The helper stops waiting, or lets go of a
				// lock it took meanwhile; its answer is not
				// waited for.
				line, _ := json.Marshal(drop)
				cl.write(line)
			}
			return Response{}, ctx.Err()
		}
	}
}

// Close ends the helper: its stdin closes, it exits. Locks it held end
// with their leases.
func (cl *Client) Close() error {
	err := cl.stdin.Close()
	if errors.Is(err, io.ErrClosedPipe) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}
