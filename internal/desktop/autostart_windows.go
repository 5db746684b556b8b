package desktop

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"
)

// Autostart on Windows is a value under the current user's Run key, which Windows reads at
// login and runs: the XDG entry of other systems means nothing there.
type Autostart struct {
	// Path names the key and the value: HKCU\Software\Microsoft\Windows\CurrentVersion\Run\Connected Apps.
	Path string
}

const (
	runKey = `Software\Microsoft\Windows\CurrentVersion\Run`
	// startupApprovedKey is where Task Manager's Startup page and Settings > Apps > Startup
	// note a Run value switched off: binary data whose first byte is odd when off.
	startupApprovedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
	runValueName       = "Connected Apps"
)

var (
	procRegCreateKeyExW = advapi32.NewProc("RegCreateKeyExW")
	procRegSetValueExW  = advapi32.NewProc("RegSetValueExW")
	procRegDeleteValueW = advapi32.NewProc("RegDeleteValueW")
	advapi32            = syscall.NewLazyDLL("advapi32.dll")
)

// DefaultAutostart is the value "Connected Apps" under HKCU's Run key.
func DefaultAutostart() (Autostart, error) {
	return Autostart{Path: `HKCU\` + runKey + `\` + runValueName}, nil
}

// split is Path's key (below HKCU) and value name.
func (a Autostart) split() (key, name string, err error) {
	rest, ok := strings.CutPrefix(a.Path, `HKCU\`)
	i := strings.LastIndexByte(rest, '\\')
	if !ok || i <= 0 || i == len(rest)-1 || strings.ContainsRune(rest, 0) {
		return "", "", fmt.Errorf("the autostart entry %q is not HKCU\\KEY\\NAME", a.Path)
	}
	return rest[:i], rest[i+1:], nil
}

// Enabled says whether the value exists and Windows' startup settings have not switched it off.
func (a Autostart) Enabled() (bool, error) {
	key, name, err := a.split()
	if err != nil {
		return false, err
	}
	if _, found, err := regRead(key, name); err != nil || !found {
		if err != nil {
			return false, fmt.Errorf("cannot read the autostart entry %s: %w", a.Path, err)
		}
		return false, nil
	}
	if approval, found, err := regRead(startupApprovedKey, name); err == nil && found && len(approval) > 0 && approval[0]&1 == 1 {
		return false, nil
	}
	return true, nil
}

// Enable sets the value so that Windows starts exe (the window) at login, and clears a
// switch-off Windows' startup settings may have noted, which would keep it from running.
func (a Autostart) Enable(exe string) error {
	key, name, err := a.split()
	if err != nil {
		return err
	}
	if err := regSetString(key, name, `"`+exe+`"`); err != nil {
		return fmt.Errorf("cannot write the autostart entry %s: %w", a.Path, err)
	}
	_ = regDelete(startupApprovedKey, name) // best effort: absent is the usual case
	return nil
}

// Disable removes the value; an absent value is not an error.
func (a Autostart) Disable() error {
	key, name, err := a.split()
	if err != nil {
		return err
	}
	if err := regDelete(key, name); err != nil {
		return fmt.Errorf("cannot remove the autostart entry %s: %w", a.Path, err)
	}
	return nil
}

// regRead is the data of HKCU\key's value name; found is false when either does not exist.
func regRead(key, name string) (data []byte, found bool, err error) {
	var h syscall.Handle
	if err := syscall.RegOpenKeyEx(syscall.HKEY_CURRENT_USER, utf16(key), 0, syscall.KEY_READ, &h); err != nil {
		if errors.Is(err, syscall.ERROR_FILE_NOT_FOUND) {
			return nil, false, nil
		}
		return nil, false, err
	}
	defer syscall.RegCloseKey(h)
	var typ, n uint32
	if err := syscall.RegQueryValueEx(h, utf16(name), nil, &typ, nil, &n); err != nil {
		if errors.Is(err, syscall.ERROR_FILE_NOT_FOUND) {
			return nil, false, nil
		}
		return nil, false, err
	}
	data = make([]byte, n)
	if n > 0 {
		if err := syscall.RegQueryValueEx(h, utf16(name), nil, &typ, &data[0], &n); err != nil {
			return nil, false, err
		}
	}
	return data[:n], true, nil
}

// regSetString writes a REG_SZ value, making HKCU\key when it is missing.
func regSetString(key, name, value string) error {
	var h syscall.Handle
	if r, _, _ := procRegCreateKeyExW.Call(uintptr(syscall.HKEY_CURRENT_USER), uintptr(unsafe.Pointer(utf16(key))), 0, 0, 0,
		syscall.KEY_SET_VALUE, 0, uintptr(unsafe.Pointer(&h)), 0); r != 0 {
		return syscall.Errno(r)
	}
	defer syscall.RegCloseKey(h)
	data, err := syscall.UTF16FromString(value)
	if err != nil {
		return err
	}
	if r, _, _ := procRegSetValueExW.Call(uintptr(h), uintptr(unsafe.Pointer(utf16(name))), 0, syscall.REG_SZ,
		uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)*2)); r != 0 {
		return syscall.Errno(r)
	}
	return nil
}

// regDelete removes HKCU\key's value name; a missing key or value is not an error.
func regDelete(key, name string) error {
	var h syscall.Handle
	if err := syscall.RegOpenKeyEx(syscall.HKEY_CURRENT_USER, utf16(key), 0, syscall.KEY_SET_VALUE, &h); err != nil {
		if errors.Is(err, syscall.ERROR_FILE_NOT_FOUND) {
			return nil
		}
		return err
	}
	defer syscall.RegCloseKey(h)
	if r, _, _ := procRegDeleteValueW.Call(uintptr(h), uintptr(unsafe.Pointer(utf16(name)))); r != 0 && syscall.Errno(r) != syscall.ERROR_FILE_NOT_FOUND {
		return syscall.Errno(r)
	}
	return nil
}

// utf16 is s as a NUL-terminated UTF-16 string for the registry calls (our names hold no NUL).
func utf16(s string) *uint16 {
	p, err := syscall.UTF16PtrFromString(s)
	if err != nil {
		panic("registry name with a NUL: " + s)
	}
	return p
}
