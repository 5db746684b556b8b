//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// become replaces this process with path: the window keeps this pid, so whatever started
// `connectedapps` (a desktop entry, a test measuring it) is watching the window itself.
func become(path string, args, env []string) int {
	err := syscall.Exec(path, append([]string{path}, args...), env)
	fmt.Fprintf(os.Stderr, "connectedapps: cannot start the window's program %s (%v): reinstall Connected Apps\n", path, err)
	return 1
}
