package desktop

import (
	"syscall"
	"unsafe"
)

var (
	kernel32                  = syscall.NewLazyDLL("kernel32.dll")
	procGetConsoleProcessList = kernel32.NewProc("GetConsoleProcessList")
	procFreeConsole           = kernel32.NewProc("FreeConsole")
)

// LeaveOwnConsole lets go of the console when it was made for this process alone: the .exe is
// one program for the window and the command line, built as a console program so that a
// command run in cmd or PowerShell prints there and is waited for; started from Explorer or
// the Start menu, Windows gives it a console of its own, which would stay open beside the
// window. A console shared with a shell (more than this process attached) is kept, so that
// `connectedapps gui` started from one still says its errors there.
func LeaveOwnConsole() {
	var pids [2]uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&pids[0])), uintptr(len(pids)))
	if n == 1 {
		_, _, _ = procFreeConsole.Call()
	}
}
