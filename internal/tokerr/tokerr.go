// Package tokerr carries the exit status of a failure from where it happens
// to the one place that prints it (cli's App.Run), as the README's "Exit
// status" table describes.
package tokerr

import (
	"errors"
	"fmt"
)

// Code is a process exit status from the README's "Exit status" table.
type Code int

const (
	Failure          Code = 1
	Usage            Code = 2
	LoginNeeded      Code = 4
	StoreUnavailable Code = 5
	Interrupted      Code = 130
)

// Error is a failure with an exit status and an optional hint: a command
// that fixes it, printed on its own line after the error.
type Error struct {
	Code Code
	Msg  string
	Hint string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Msg == "" && e.Err != nil:
		return e.Err.Error()
	case e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	default:
		return e.Msg
	}
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given exit status.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns err with an exit status and context. A nil err stays nil.
func Wrap(code Code, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}

// WithHint returns e with hint set, for chaining at the return site.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// ExitCode is the status for err: the outermost tokerr.Error decides,
// anything else is 1.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return int(e.Code)
	}
	return int(Failure)
}

// HintOf returns the first hint found along err's chain.
func HintOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Hint != "" {
			return e.Hint
		}
		err = e.Err
	}
	return ""
}

// LoginNeededFor is the error for a target that has no usable login.
func LoginNeededFor(target string, cause error) *Error {
	e := &Error{Code: LoginNeeded, Msg: "no usable login for " + target, Err: cause}
	return e.WithHint("run: tok login %s", target)
}
