package desktop

import (
	"crypto/rand"
	"encoding/hex"
	"syscall"
	"testing"
	"unsafe"
)

func TestDefaultAutostartIsTheRunKey(t *testing.T) {
	a, err := DefaultAutostart()
	if err != nil {
		t.Fatal(err)
	}
	if want := `HKCU\Software\Microsoft\Windows\CurrentVersion\Run\Connected Apps`; a.Path != want {
		t.Errorf("Path = %s; want %s", a.Path, want)
	}
}

// Enable writes the quoted program under the key, Enabled reads it back, a switch-off noted
// by Windows' startup settings (StartupApproved, first byte odd) counts as off until Enable
// clears it, and Disable removes the value. A value of its own under the real Run key: the
// test runs under Wine's registry (make test-windows), or a test user's.
func TestAutostartRunValueOnWindows(t *testing.T) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "connectedapps-test-" + hex.EncodeToString(b)
	a := Autostart{Path: `HKCU\` + runKey + `\` + name}
	t.Cleanup(func() { _ = regDelete(runKey, name); _ = regDelete(startupApprovedKey, name) })

	if on, err := a.Enabled(); err != nil || on {
		t.Fatalf("Enabled before = %v, %v; want false", on, err)
	}
	if err := a.Disable(); err != nil {
		t.Errorf("Disable with no value = %v; want nil", err)
	}
	exe := `C:\Program Files\Connected Apps\connectedapps.exe`
	if err := a.Enable(exe); err != nil {
		t.Fatal(err)
	}
	if on, err := a.Enabled(); err != nil || !on {
		t.Fatalf("Enabled after Enable = %v, %v; want true", on, err)
	}
	data, found, err := regRead(runKey, name)
	if err != nil || !found {
		t.Fatalf("the Run value: found %v, %v", found, err)
	}
	if got := syscall.UTF16ToString(unsafe.Slice((*uint16)(unsafe.Pointer(&data[0])), len(data)/2)); got != `"`+exe+`"` {
		t.Errorf("the Run value holds %q; want the quoted program", got)
	}

	// Task Manager's "Disable": the value stays, a StartupApproved entry says off.
	var h syscall.Handle
	if r, _, _ := procRegCreateKeyExW.Call(uintptr(syscall.HKEY_CURRENT_USER), uintptr(unsafe.Pointer(utf16(startupApprovedKey))), 0, 0, 0,
		syscall.KEY_SET_VALUE, 0, uintptr(unsafe.Pointer(&h)), 0); r != 0 {
		t.Fatal(syscall.Errno(r))
	}
	off := []byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	const regBinary = 3
	r, _, _ := procRegSetValueExW.Call(uintptr(h), uintptr(unsafe.Pointer(utf16(name))), 0, regBinary, uintptr(unsafe.Pointer(&off[0])), uintptr(len(off)))
	syscall.RegCloseKey(h)
	if r != 0 {
		t.Fatal(syscall.Errno(r))
	}
	if on, err := a.Enabled(); err != nil || on {
		t.Fatalf("Enabled when switched off by Windows = %v, %v; want false", on, err)
	}
	if err := a.Enable(exe); err != nil {
		t.Fatal(err)
	}
	if on, err := a.Enabled(); err != nil || !on {
		t.Fatalf("Enabled after Enable over Windows' switch-off = %v, %v; want true", on, err)
	}

	if err := a.Disable(); err != nil {
		t.Fatal(err)
	}
	if on, err := a.Enabled(); err != nil || on {
		t.Fatalf("Enabled after Disable = %v, %v; want false", on, err)
	}
}
