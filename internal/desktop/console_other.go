//go:build !windows

package desktop

// LeaveOwnConsole is Windows' (console_windows.go): elsewhere a program started from the
// desktop gets no terminal of its own.
func LeaveOwnConsole() {}
