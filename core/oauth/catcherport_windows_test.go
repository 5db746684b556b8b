package oauth

import (
	"net"
	"os"
	"syscall"
	"testing"
)

// Winsock's codes as net.Listen wraps them: a taken port is in use, a port Windows keeps
// (WSAEACCES) is reserved, and the one is never taken for the other. The real refusals are
// e2e/wine_test.go:TestWinePortInUseAndReserved.
func TestWinsockListenErrors(t *testing.T) {
	listenErr := func(code syscall.Errno) error {
		return &net.OpError{Op: "listen", Net: "tcp4", Err: os.NewSyscallError("bind", code)}
	}
	if !portInUse(listenErr(wsaeAddrInUse)) {
		t.Error("WSAEADDRINUSE is not seen as a port in use")
	}
	if _, ok := portReserved(listenErr(wsaeAddrInUse)); ok {
		t.Error("WSAEADDRINUSE is taken for a reserved port")
	}
	if why, ok := portReserved(listenErr(syscall.WSAEACCES)); !ok || portInUse(listenErr(syscall.WSAEACCES)) {
		t.Errorf("WSAEACCES: reserved = %v (%q), in use = %v", ok, why, portInUse(listenErr(syscall.WSAEACCES)))
	}
}
