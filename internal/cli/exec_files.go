package cli

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/tokfile"
)

// tokenFiles are the files of `exec --token-files` and the goroutines that
// keep them fresh.
type tokenFiles struct {
	dir    *tokfile.Dir
	paths  map[string]string // variable name to file
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startTokenFiles writes each target's token to one file per variable and
// starts a keeper per target that rewrites them before the token falls
// under minTTL.
func (a *App) startTokenFiles(ctx context.Context, targets []*execTarget, minTTL time.Duration) (_ *tokenFiles, err error) {
	dir, err := tokfile.NewDir()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	tf := &tokenFiles{dir: dir, paths: map[string]string{}, cancel: cancel}
	defer func() {
		if err != nil {
			tf.Close()
		}
	}()
	for _, et := range targets {
		k := a.keeper(dir, et, minTTL)
		cur := tokfile.Token{Value: et.Rec.AccessToken, Expiry: et.Rec.Expiry}
		if err := k.Write(cur); err != nil {
			return nil, fmt.Errorf("cannot write token files: %w", err)
		}
		a.handedOut("token-files", et.T, et.Rec, et.Argv0)
		for _, name := range et.Names {
			tf.paths[name] = dir.File(name)
		}
		tf.wg.Add(1)
		go func() {
			defer tf.wg.Done()
			k.Run(ctx, cur)
		}()
	}
	return tf, nil
}

func (a *App) keeper(dir *tokfile.Dir, et *execTarget, minTTL time.Duration) *tokfile.Keeper {
	return &tokfile.Keeper{
		Dir: dir, Names: et.Names, MinTTL: minTTL, Now: a.Now, After: a.After,
		Fetch: func(ctx context.Context, ttl time.Duration) (tokfile.Token, error) {
			rec, err := a.execToken(audit.WithVerb(ctx, "token-files"), et, ttl)
			if err != nil {
				return tokfile.Token{}, err
			}
			// Fetch is asked only when the files are due for a new
			// token, which the keeper then writes.
			a.handedOut("token-files", et.T, rec, et.Argv0)
			return tokfile.Token{Value: rec.AccessToken, Expiry: rec.Expiry}, nil
		},
		Warn: func(err error) {
			a.note("token files: %s (will retry)", errorLine(err))
		},
	}
}

// Paths maps each variable to its file.
func (tf *tokenFiles) Paths() map[string]string { return tf.paths }

// Close stops the keepers, then removes the directory: no keeper writes
// into it afterwards.
func (tf *tokenFiles) Close() {
	tf.cancel()
	tf.wg.Wait()
	tf.dir.Remove()
}
