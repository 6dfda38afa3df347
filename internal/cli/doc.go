// Package cli is tok's command line: one file per verb. Each cobra RunE
// parses and validates, then calls a run function that does the work with
// the dependencies in App (stdio, environment, clock, HTTP, browser,
// store), so tests swap them. App.Run is the one place that prints an
// error and picks the exit status (README "Exit status"); output.go holds
// the rules for everything tok says on stderr and is the only writer of
// "tok: " lines. help.go holds the `tok help` topics.
package cli
