package cli

// How tok talks to people. This file is the only writer of "tok: " lines;
// the rest of tok returns errors or hands a message to note or warn.
//
//   - stdout carries data only: the token, JSON, lists a script reads.
//     Everything for a person goes to stderr (README "Promises").
//   - Every line for a person starts with "tok: ", is lower case and ends
//     without a period. A warning says "tok: warning: " and tok carries on;
//     a note says what tok did or is waiting for; a hint ("tok: hint: ")
//     follows a command that worked but got less than asked for, and
//     names the setting that gets the rest.
//   - An error is printed once, by App.Run, as one line: "tok: MESSAGE",
//     then "; HINT" naming the command that fixes it where there is one.
//     Its exit status follows README "Exit status".
//   - Text from outside (servers, config files, arguments) loses its
//     control characters before it reaches the terminal.
//   - No secret appears in any line: not a token, code, verifier, client
//     secret, file key or passphrase.
//   - Domain packages never print these lines. They return typed errors
//     (tokerr.Error carries the exit status and hint), or take a
//     Note/Warn func(string) that is given a.noteLine or a.warnLine.
//   - The consent flows' displays (showAuthURL, deviceDisplay) print the
//     instructions a person follows, without the prefix; only the device
//     display draws (art, a countdown), and only when stderr is a
//     terminal: plain lines otherwise.

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/tokerr"
)

const (
	prefix        = "tok: "
	warningPrefix = prefix + "warning: "
	hintPrefix    = prefix + "hint: "
)

// note writes one line telling what tok did or waits for.
func (a *App) note(format string, args ...any) {
	writeLine(a.Stderr, prefix, fmt.Sprintf(format, args...))
}

// warn writes one line about something that went wrong while tok carries on.
func (a *App) warn(format string, args ...any) {
	writeLine(a.Stderr, warningPrefix, fmt.Sprintf(format, args...))
}

// hint writes one line naming the setting that gets what a command that
// worked did not get.
func (a *App) hint(format string, args ...any) {
	writeLine(a.Stderr, hintPrefix, fmt.Sprintf(format, args...))
}

// noteLine and warnLine are note and warn for the Note and Warn callbacks of
// domain packages, which pass a finished message.
func (a *App) noteLine(msg string) { writeLine(a.Stderr, prefix, msg) }
func (a *App) warnLine(msg string) { writeLine(a.Stderr, warningPrefix, msg) }

// noteTo and warnTo write to w, for code that holds a writer rather than
// the App (the HTTP trace, the passphrase check).
func noteTo(w io.Writer, format string, args ...any) {
	writeLine(w, prefix, fmt.Sprintf(format, args...))
}

func warnTo(w io.Writer, format string, args ...any) {
	writeLine(w, warningPrefix, fmt.Sprintf(format, args...))
}

// prompt is the text of a question asked on the terminal; the answer
// follows on the same line.
func prompt(question string) string { return prefix + question }

func writeLine(w io.Writer, pre, msg string) {
	fmt.Fprintf(w, "%s%s\n", pre, msg)
}

// printError writes err as the one error line of README "Exit status".
func (a *App) printError(err error) {
	writeLine(a.Stderr, prefix, errorLine(err))
}

// errorLine is err as one line, with its hint after "; ".
func errorLine(err error) string {
	line := oneLine(err.Error())
	// A refusal whose fix is one of tok's own settings names it first.
	for _, hint := range []string{flow.SettingHint(err), flow.BusyHint(err, time.Now()), tokerr.HintOf(err)} {
		if hint != "" {
			line += "; " + hint
		}
	}
	return line
}

// oneLine keeps a message to the single line README "Exit status"
// promises.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		rest := strings.TrimSpace(s[i+1:])
		s = s[:i]
		// cobra puts "Did you mean this?" suggestions on later lines.
		if strings.HasPrefix(rest, "Did you mean this?") {
			s += " (did you mean " + strings.TrimSpace(strings.TrimPrefix(rest, "Did you mean this?")) + "?)"
		}
	}
	// Messages may quote a config file, an argument or a server: no
	// terminal escapes or other control characters reach the terminal.
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}
