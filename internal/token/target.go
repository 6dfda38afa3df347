package token

import "github.com/tok-cli/tok/internal/target"

// Target names one login; package target parses and resolves it.
type Target = target.Target

// DefaultAccount is the account used when a target names none.
const DefaultAccount = target.DefaultAccount
