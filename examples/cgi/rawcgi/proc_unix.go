//go:build unix

package rawcgi

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd run in a process group of its own and be killed with
// all of it on cancellation, so that a timed-out script's children (the
// "sleep" of "sh -c 'sleep 30'") die with it instead of outliving it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
