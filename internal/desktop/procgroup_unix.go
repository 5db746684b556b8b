//go:build unix

package desktop

import (
	"os/exec"
	"syscall"
)

// KillGroupOnCancel makes cmd the leader of a process group of its own and, when its context
// ends, kills the whole group, not only cmd: an on_event command such as `sh -c 'notify; sleep'`
// or a script that starts a helper would otherwise leave the children running past the
// timeout, each holding whatever it opened. Call it before cmd.Start.
func KillGroupOnCancel(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.Cancel = func() error {
		// The group's ID is the leader's PID (Setpgid with Pgid 0); a negative PID names it.
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if err == syscall.ESRCH {
			return cmd.Process.Kill()
		}
		return err
	}
}
