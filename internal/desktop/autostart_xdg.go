//go:build !windows

package desktop

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"connectedapps/internal/fsutil"
)

// Autostart is the XDG autostart entry that opens the window at login
// (https://specifications.freedesktop.org/autostart-spec/latest/).
type Autostart struct {
	Path string // …/autostart/io.connectedapps.desktop.desktop
}

// DefaultAutostart is the entry in os.UserConfigDir()/autostart, so XDG_CONFIG_HOME moves it.
func DefaultAutostart() (Autostart, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return Autostart{}, fmt.Errorf("cannot find the configuration folder (%v): set XDG_CONFIG_HOME or HOME", err)
	}
	return Autostart{Path: filepath.Join(base, "autostart", DesktopID+".desktop")}, nil
}

// Enabled says whether the entry exists and is not switched off (Hidden=true, or GNOME's
// X-GNOME-Autostart-enabled=false, which a desktop's own settings may have written).
func (a Autostart) Enabled() (bool, error) {
	f, err := os.Open(a.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot read the autostart entry %s: %w", a.Path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if (key == "Hidden" && value == "true") || (key == "X-GNOME-Autostart-enabled" && value == "false") {
			return false, nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("cannot read the autostart entry %s: %w", a.Path, err)
	}
	return true, nil
}

// Enable writes the entry so the desktop starts exe (the window) at login.
func (a Autostart) Enable(exe string) error {
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o700); err != nil {
		return fmt.Errorf("cannot create the autostart folder %s: %w", filepath.Dir(a.Path), err)
	}
	entry := strings.Join([]string{
		"[Desktop Entry]",
		"Type=Application",
		"Name=Connected Apps",
		"Comment=Keeps the tokens of your connected apps fresh",
		"Exec=" + desktopExecArg(exe),
		"Icon=" + DesktopID,
		"Terminal=false",
		"X-GNOME-Autostart-enabled=true",
		"",
	}, "\n")
	if err := fsutil.WriteFileAtomic(a.Path, []byte(entry)); err != nil {
		return err
	}
	return nil
}

// Disable removes the entry; an absent entry is not an error.
func (a Autostart) Disable() error {
	if err := os.Remove(a.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove the autostart entry %s: %w", a.Path, err)
	}
	return nil
}

// desktopExecArg quotes one Exec argument as the Desktop Entry spec asks: inside double
// quotes, `"`, "`", `$` and `\` are escaped with a backslash; then, the value being a string,
// every backslash is doubled once more.
func desktopExecArg(arg string) string {
	if arg != "" && !strings.ContainsAny(arg, " \t\n\"'\\><~|&;$*?#()`=%") {
		return arg
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range arg {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteByte('\\')
		case '%':
			b.WriteByte('%') // a literal % is written %% (field codes start with %)
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return strings.ReplaceAll(b.String(), `\`, `\\`)
}
