// Package audit appends one JSON line per token hand-out and per login
// event to STATE/audit.jsonl (README "Audit log"). A line never holds a
// token: a 12-hex-digit SHA-256 prefix identifies one. Writing is one
// O_APPEND write per line, so lines from concurrent processes never mix,
// and it never fails the hand-out it records: a log that cannot be written
// is a warning on stderr.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Events a line records. A hand-out is the one a reader looks for first.
const (
	EventHandout = "handout" // a token given to a process
	EventRefresh = "refresh" // the provider issued a new token
	EventLogin   = "login"
	EventLogout  = "logout"
	EventRevoke  = "revoke" // a token revoked (exec --revoke-on-exit)
	EventRefusal = "refusal"
)

// MaxSize is the size at which the log is rotated: audit.jsonl becomes
// audit.jsonl.1 (replacing the older one) and a new file starts.
const MaxSize = 10 << 20

// FileName is the log's name inside the state directory.
const FileName = "audit.jsonl"

// Entry is one line of the log. Zero fields are left out.
type Entry struct {
	Time   time.Time `json:"time"`
	Event  string    `json:"event"`
	Verb   string    `json:"verb,omitempty"`
	Target string    `json:"target,omitempty"`
	Scopes []string  `json:"scopes,omitempty"`
	Expiry time.Time `json:"expiry,omitzero"`
	// TokenSHA256 is the first 12 hex digits of the token's SHA-256.
	TokenSHA256 string `json:"token_sha256,omitempty"`
	PID         int    `json:"pid"`
	PPID        int    `json:"ppid"`
	// Parent and ParentExe are the parent process's name and executable,
	// where the OS tells them (Linux: /proc).
	Parent    string `json:"parent,omitempty"`
	ParentExe string `json:"parent_exe,omitempty"`
	Cwd       string `json:"cwd,omitempty"`
	// Argv0 is the command `tok exec` ran.
	Argv0 string `json:"argv0,omitempty"`
	// Reason says why a refusal was one; never a secret.
	Reason string `json:"reason,omitempty"`
}

// TokenID is the first 12 hex digits of tok's SHA-256: enough to tell
// tokens apart in the log, useless to present to a server.
func TokenID(tok string) string {
	if tok == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:6])
}

// Log appends entries to one file. The zero Log and a nil *Log write
// nothing. It is safe for concurrent use.
type Log struct {
	// Path is the log file, STATE/audit.jsonl.
	Path string
	Now  func() time.Time
	// Warn, when set, is told (in one line, without "tok: warning: ") the
	// one warning a process gives when the log cannot be written.
	Warn func(msg string)

	mu     sync.Mutex
	proc   *process
	warned bool
}

// Write fills in the time and the process details and appends e. Errors
// become a warning (once per process): the hand-out goes on.
func (l *Log) Write(e Entry) {
	if l == nil || l.Path == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.proc == nil {
		l.proc = thisProcess()
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	if !e.Expiry.IsZero() {
		e.Expiry = e.Expiry.UTC()
	}
	e.PID, e.PPID, e.Parent, e.ParentExe, e.Cwd = l.proc.pid, l.proc.ppid, l.proc.parent, l.proc.parentExe, l.proc.cwd
	line, err := json.Marshal(&e)
	if err == nil {
		err = l.append(append(line, '\n'))
	}
	if err != nil && !l.warned && l.Warn != nil {
		l.warned = true
		l.Warn(fmt.Sprintf("could not write the audit log %s: %v", l.Path, unwrapPath(err)))
	}
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// append writes line with one write(2) on an O_APPEND descriptor, rotating
// first when the file has reached MaxSize.
func (l *Log) append(line []byte) error {
	f, err := open(l.Path)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() >= MaxSize {
		f.Close()
		if err := rotate(l.Path); err != nil {
			return err
		}
		if f, err = open(l.Path); err != nil {
			return err
		}
	} else if err == nil && fi.Mode().Perm() != 0o600 {
		// A file made by hand, or by an umask tok did not expect.
		f.Chmod(0o600)
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if os.IsNotExist(err) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	}
	return f, err
}

// rotate moves a full log aside. Two processes may both find it full:
// the size is checked again under the rotation lock, so the second one
// does not move away the fresh file the first started.
func rotate(path string) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	fi, err := os.Stat(path)
	if err != nil || fi.Size() < MaxSize {
		return nil
	}
	return os.Rename(path, path+".1")
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s", pe.Err)
	}
	return err
}

type verbKey struct{}

// WithVerb marks ctx as serving verb (print, exec, ...), so that a
// refresh it causes deep in the token code is logged with it.
func WithVerb(ctx context.Context, verb string) context.Context {
	return context.WithValue(ctx, verbKey{}, verb)
}

// VerbOf is the verb WithVerb put in ctx, "" for none.
func VerbOf(ctx context.Context) string {
	v, _ := ctx.Value(verbKey{}).(string)
	return v
}
