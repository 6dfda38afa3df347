// Package token keeps stored logins fresh and is their only writer.
// Manager reads a login, decides whether it needs refreshing, refreshes
// it under a per-target lock that other tok processes respect, and writes
// the result back; login, import, logout and the MCP registration a
// refused refresh invalidates go through it too, each under the same lock,
// so a second process never writes an older token pair over a newer one,
// and a crash or kill leaves the stored login readable (README "Promises").
package token
