package cli

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/browser"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/target"
	"github.com/tok-cli/tok/internal/token"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// App holds every side effect a command may have, so tests can replace
// them: stdio, environment, clock, HTTP, browser and the token store.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	// Environ lists the environment, for providers defined by it alone.
	Environ func() []string
	Now     func() time.Time
	// After is time.After: the --token-files keeper waits on it for a
	// token's renewal, so tests move a fake clock instead of sleeping.
	After func(time.Duration) <-chan time.Time
	HTTP  *http.Client
	// OpenBrowser opens url for the user (flow.Opener: it returns once
	// the opener started, and tells how it ended); its output must not
	// reach stdout.
	OpenBrowser flow.Opener
	// Backend, when set, replaces the store the config asks for.
	Backend store.Backend

	// Filled by the root command before any verb runs.
	ConfigFlag string
	Verbose    bool
	verb       string // the command's name, as in "print"
	cfg        *config.Config
	etcd       *store.Etcd
	audit      *audit.Log
}

// NewApp returns an App wired to the real world.
func NewApp(stdin io.Reader, stdout, stderr io.Writer) *App {
	a := &App{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		LookupEnv: os.LookupEnv,
		Environ:   os.Environ,
		Now:       time.Now,
		After:     time.After,
		HTTP:      newHTTPClient(),
	}
	a.OpenBrowser = a.openBrowser
	return a
}

func (a *App) getenv(k string) string { v, _ := a.LookupEnv(k); return v }

// openBrowser runs TOK_BROWSER, then BROWSER (see browserCommand), else
// the system opener. Their output goes to stderr: stdout is for data only.
// A command from those variables may be the browser itself and run on:
// its exit status is told later (README "Browser": a failure is warned,
// the login waits on). The system opener returns at once, so its status
// is known when it returns.
func (a *App) openBrowser(url string) (<-chan error, error) {
	exited := make(chan error, 1)
	for _, name := range []string{"TOK_BROWSER", "BROWSER"} {
		value := a.getenv(name)
		if strings.TrimSpace(value) == "" {
			continue
		}
		argv, err := browserCommand(name, value, url, lookPath)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = withoutSecrets(os.Environ())
		cmd.Stdout, cmd.Stderr = a.Stderr, a.Stderr
		if err := cmd.Start(); err != nil {
			return nil, unusableBrowser(name, value, wire.Clean(err.Error(), 200))
		}
		go func() { exited <- openerEnd(cmd.Wait()) }()
		return exited, nil
	}
	browser.Stdout, browser.Stderr = a.Stderr, a.Stderr
	defer hideSecrets()()
	exited <- openerEnd(browser.OpenURL(url))
	return exited, nil
}

// manager builds the token manager for the loaded config: the one writer
// of logins (cli code never writes the store or takes a lock itself).
func (a *App) manager() (*token.Manager, error) {
	st, err := a.store()
	if err != nil {
		return nil, err
	}
	var locks token.Locker = &token.FileLocker{Dir: filepath.Join(a.cfg.StateDir, "locks"), Note: a.noteLine}
	if e, ok := st.Backend().(*store.Etcd); ok {
		// A fleet's hosts share no file system: the lock is etcd's.
		locks = e
	}
	return &token.Manager{
		Store:    st,
		Locks:    locks,
		Discover: a.discoverer(),
		HTTP:     a.httpClient(),
		Now:      a.Now,
		StateDir: a.cfg.StateDir,
		Audit:    a.auditLog(),
		// An MCP registration's secret is read only when a request needs it.
		BeforeRequest: a.mcpClient,
		Note:          a.noteLine,
		Warn:          a.warnLine,
	}, nil
}

func (a *App) discoverer() *provider.Discoverer {
	return &provider.Discoverer{HTTP: a.httpClient(), CacheDir: filepath.Join(a.cfg.StateDir, "discovery"), Now: a.Now}
}

func (a *App) httpClient() *http.Client {
	if !a.Verbose {
		return a.HTTP
	}
	return traced(a.HTTP, a.Stderr)
}

// loginIndex is the state dir's index of the logins of the store tok is
// set to use, apart from those of other stores sharing the state dir
// (README "Where tokens are kept"). etcd keeps its index in etcd instead.
func (a *App) loginIndex() *store.Index {
	kind := a.storeName()
	id := kind
	var holds func(provider, account string) bool
	switch {
	case a.Backend != nil:
		holds = backendHolds(a.Backend)
	case kind == "keyring":
		id = "keyring-" + a.keyringService()
		holds = backendHolds(store.NewKeyring(a.keyringService(), store.DefaultKeyringTimeout))
	}
	return store.StoreIndex(a.cfg.StateDir, id, kind, holds)
}

// backendHolds reports whether b holds a login's record, for the index to
// claim an entry written before each store had its own. After the first
// error other than "not found" (keyring unreachable) it says no without
// asking again.
func backendHolds(b store.Backend) func(provider, account string) bool {
	var failed bool
	return func(provider, account string) bool {
		if failed {
			return false
		}
		_, err := b.Get(context.Background(), store.TokenKey(provider, account))
		failed = err != nil && !errors.Is(err, store.ErrNotFound)
		return err == nil
	}
}

func (a *App) store() (*store.Store, error) {
	idx := a.loginIndex()
	if a.Backend != nil {
		return store.New(a.Backend, idx), nil
	}
	switch a.cfg.Store {
	case "", "keyring":
		return store.New(store.NewKeyring(a.keyringService(), store.DefaultKeyringTimeout), idx), nil
	case "file":
		b, err := a.fileBackend()
		if err != nil {
			return nil, err
		}
		return store.New(b, idx), nil
	case "etcd":
		e, err := a.etcdStore()
		if err != nil {
			return nil, err
		}
		// The index lives in etcd, next to the records.
		return store.New(e, nil), nil
	}
	return nil, tokerr.New(tokerr.Usage, "unknown store %q: use keyring, file or etcd", a.cfg.Store)
}

// resolver is the one place that decides which target and provider an
// argument names; every command calls it once per argument.
func (a *App) resolver() *target.Resolver {
	file := a.cfg.File
	if file == "" {
		file, _ = a.configFile()
	}
	return &target.Resolver{Config: a.cfg, Env: a.LookupEnv, Environ: a.Environ, Logins: a.loginEntries, ConfigFile: file}
}
