package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 11, item 2: `connectedapps` links no Fyne package and execs connectedapps-window,
// found beside it, for the window. Copied alone into a folder (and with none on PATH), it
// still runs every command, and asked for the window it says in one line what is missing.
func TestCommandLineWithoutItsWindowProgram(t *testing.T) {
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(t.TempDir(), "connectedapps")
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	u := newUser(t).with("PATH=/usr/bin:/bin", "DISPLAY=:99")
	for _, args := range [][]string{nil, {"gui"}} {
		cmd := exec.Command(alone, args...)
		cmd.Env = u.env
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 {
			t.Fatalf("connectedapps %v without connectedapps-window: %v: %s", args, err, out)
		}
		if got := string(out); strings.Count(got, "\n") != 1 || !strings.Contains(got, "connectedapps-window is neither beside "+alone+" nor on PATH") {
			t.Fatalf("connectedapps %v without connectedapps-window said %q", args, got)
		}
	}
	cmd := exec.Command(alone, "list")
	cmd.Env = u.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("list from the command line alone: %v: %s", err, out)
	}
	// Beside the real one, the window's program is there for it.
	if fi, err := os.Stat(filepath.Join(filepath.Dir(bin), "connectedapps-window")); err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("connectedapps-window beside %s: %v", bin, err)
	}
}
