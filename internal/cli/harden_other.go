//go:build !linux

package cli

// harden is a no-op where tok knows no way to keep other processes of the
// same user out of its memory. macOS denies task_for_pid to unprivileged
// processes by default; Windows has no core dumps to disable.
func harden() {}
