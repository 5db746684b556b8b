package oauth

import (
	"errors"
	"syscall"
)

// wsaeAddrInUse is Winsock's WSAEADDRINUSE, what a bind to a taken port returns on Windows;
// Go's syscall.EADDRINUSE is a value of its own there that no Windows call returns.
const wsaeAddrInUse syscall.Errno = 10048

// portInUse says another socket holds the port.
func portInUse(err error) bool { return errors.Is(err, wsaeAddrInUse) }

// portReserved says the system keeps the port from us, and why in words for the message:
// Windows answers WSAEACCES for a port in one of its excluded ranges (Hyper-V, WSL and Docker
// reserve such ranges, often around 50000) or bound by another program for its exclusive use.
func portReserved(err error) (why string, ok bool) {
	if errors.Is(err, syscall.WSAEACCES) {
		return "is reserved by Windows (an excluded port range, such as Hyper-V's or WSL's, which `netsh interface ipv4 show excludedportrange protocol=tcp` lists, or another program's exclusive use)", true
	}
	return "", false
}
