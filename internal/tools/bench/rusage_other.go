//go:build !unix

package main

import "os"

// maxRSSOf is unknown where there is no rusage.
func maxRSSOf(*os.ProcessState) int64 { return 0 }
