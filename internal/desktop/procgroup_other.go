//go:build !unix

package desktop

import "os/exec"

// KillGroupOnCancel leaves cmd as it is where there are no Unix process groups (Windows):
// exec.CommandContext's default, killing the process itself, is what the context's end does.
func KillGroupOnCancel(cmd *exec.Cmd) {}
