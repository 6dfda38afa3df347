package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/tokerr"
)

// browserCommand turns the value of TOK_BROWSER or BROWSER (the variable
// name) into the argv that opens url (README, "Browser"): a value naming an
// existing executable is used whole, spaces and all (a Windows browser
// under WSL lives in "Program Files"); otherwise it is split as a shell
// would split it (quotes, backslashes). A %s in an argument is replaced by
// url; without one, url is the last argument. A list of such commands
// separated by ':' (';' on Windows) gives the first usable one. A value
// that still names no
// program is a *flow.BrowserError: the login ends at once with the reason
// instead of waiting for a redirect that will never come.
func browserCommand(name, value, url string, lookPath func(string) (string, error)) ([]string, error) {
	value = strings.TrimSpace(value)
	argv, err := browserArgv(name, value, url, lookPath)
	if err == nil {
		return argv, nil
	}
	// BROWSER may list several commands, as xdg-open and Python's
	// webbrowser read it (firefox:chromium): the first usable one wins.
	if list := strings.Split(value, string(os.PathListSeparator)); len(list) > 1 {
		for _, one := range list {
			if argv, lerr := browserArgv(name, strings.TrimSpace(one), url, lookPath); lerr == nil {
				return argv, nil
			}
		}
	}
	return nil, err
}

// browserArgv is browserCommand for one command.
func browserArgv(name, value, url string, lookPath func(string) (string, error)) ([]string, error) {
	if isExecutable(value, lookPath) {
		return []string{value, url}, nil
	}
	argv, err := splitShell(value)
	if err != nil {
		return nil, unusableBrowser(name, value, err.Error())
	}
	if len(argv) == 0 {
		return nil, unusableBrowser(name, value, "it names no program")
	}
	if !isExecutable(argv[0], lookPath) {
		return nil, unusableBrowser(name, value, "no program "+argv[0]+" to run")
	}
	placed := false
	for i, arg := range argv[1:] {
		if strings.Contains(arg, "%s") {
			argv[i+1], placed = strings.ReplaceAll(arg, "%s", url), true
		}
	}
	if !placed {
		argv = append(argv, url)
	}
	return argv, nil
}

// isExecutable reports whether prog is a program tok can start: a path to
// an executable file, or a name found on PATH.
func isExecutable(prog string, lookPath func(string) (string, error)) bool {
	if prog == "" {
		return false
	}
	if !strings.ContainsRune(prog, os.PathSeparator) && !strings.ContainsRune(prog, '/') {
		_, err := lookPath(prog)
		return err == nil
	}
	fi, err := os.Stat(prog)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0
}

// openerEnd words how a browser opener ended, for the warning that
// follows (flow.Opener): nil for exit status 0.
func openerEnd(err error) error {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.Exited():
		return fmt.Errorf("the browser command exited with status %d", ee.ExitCode())
	case errors.As(err, &ee):
		return fmt.Errorf("the browser command ended with %s", ee)
	}
	return fmt.Errorf("could not open a browser: %w", err)
}

func unusableBrowser(name, value, why string) error {
	e := tokerr.New(tokerr.Usage, "%s=%q cannot open a browser: %s", name, value, why).
		WithHint("set %s to the browser's path (whole, or with the parts quoted as in a shell), or unset it to use the system opener", name)
	return &flow.BrowserError{Err: e}
}

// splitShell splits s into words as a POSIX shell does, without
// expansions: blanks separate words; 'single quotes' keep everything;
// "double quotes" keep everything but \" \\ \$ \` ; a backslash outside
// quotes keeps the next character.
func splitShell(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
			continue
		case c == '\\':
			if i+1 == len(s) {
				return nil, errors.New("it ends with a lone backslash")
			}
			i++
			if s[i] != '\n' { // backslash-newline joins lines
				cur.WriteByte(s[i])
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("a single quote is not closed")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += 1 + end
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\"\\$`", s[j+1]) >= 0 {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, errors.New("a double quote is not closed")
			}
			i = j
		default:
			cur.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// lookPath is exec.LookPath; tests replace it through browserCommand.
var lookPath = exec.LookPath
