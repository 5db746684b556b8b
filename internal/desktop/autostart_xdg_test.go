//go:build !windows

package desktop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultAutostartFollowsXDGConfigHome(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	a, err := DefaultAutostart()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cfg, "autostart", "io.connectedapps.desktop.desktop"); a.Path != want {
		t.Errorf("Path = %s; want %s", a.Path, want)
	}
}

func TestAutostartEnableDisable(t *testing.T) {
	a := Autostart{Path: filepath.Join(t.TempDir(), "autostart", DesktopID+".desktop")}
	if on, err := a.Enabled(); err != nil || on {
		t.Fatalf("Enabled before = %v, %v; want false", on, err)
	}
	if err := a.Disable(); err != nil {
		t.Errorf("Disable with no entry = %v; want nil", err)
	}

	if err := a.Enable("/opt/Connected Apps/connectedapps"); err != nil {
		t.Fatal(err)
	}
	if on, err := a.Enabled(); err != nil || !on {
		t.Fatalf("Enabled after Enable = %v, %v; want true", on, err)
	}
	data, err := os.ReadFile(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	entry := string(data)
	for _, want := range []string{"[Desktop Entry]\n", "\nType=Application\n", "\nName=Connected Apps\n",
		"\nExec=\"/opt/Connected Apps/connectedapps\"\n", "\nIcon=io.connectedapps.desktop\n"} {
		if !strings.Contains(entry, want) {
			t.Errorf("entry lacks %q:\n%s", want, entry)
		}
	}
	info, err := os.Stat(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o022 != 0 {
		t.Errorf("entry mode %v is writable by others", info.Mode())
	}

	if err := a.Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Path); !os.IsNotExist(err) {
		t.Errorf("the entry is still there after Disable: %v", err)
	}
	if on, _ := a.Enabled(); on {
		t.Error("Enabled after Disable")
	}
}

// A desktop's own startup settings switch an entry off rather than deleting it.
func TestAutostartSwitchedOffByTheDesktop(t *testing.T) {
	for _, line := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		a := Autostart{Path: filepath.Join(t.TempDir(), "x.desktop")}
		if err := os.WriteFile(a.Path, []byte("[Desktop Entry]\nType=Application\nExec=connectedapps\n"+line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if on, err := a.Enabled(); err != nil || on {
			t.Errorf("with %s: Enabled = %v, %v; want false", line, on, err)
		}
	}
}

func TestDesktopExecArg(t *testing.T) {
	tests := map[string]string{
		"/usr/local/bin/connectedapps": "/usr/local/bin/connectedapps",
		"/home/ada/my apps/ca":         `"/home/ada/my apps/ca"`,
		`/tmp/a"b`:                     `"/tmp/a\\"b"`,
		`/tmp/$HOME`:                   `"/tmp/\\$HOME"`,
		`/tmp/back\slash`:              `"/tmp/back\\\\slash"`,
		"/tmp/100%":                    `"/tmp/100%%"`,
	}
	for in, want := range tests {
		if got := desktopExecArg(in); got != want {
			t.Errorf("desktopExecArg(%q) = %s; want %s", in, got, want)
		}
	}
}
