// Package tools holds tok's build-time programs (gendocs) and checks of
// the build files themselves.
package tools
