// Package tokfile keeps the token files of `tok exec --token-files`: one
// file per variable in a private directory, rewritten atomically before
// the token runs out, removed with the directory when the child exits.
package tokfile
