//go:build !windows

package oauth

import (
	"errors"
	"syscall"
)

// portInUse says another socket holds the port.
func portInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// portReserved is Windows' refusal of a port it keeps for itself (catcherport_windows.go);
// elsewhere a refused port is reported with the system's own error.
func portReserved(error) (why string, ok bool) { return "", false }
