package fsutil

import (
	"os"
	"testing"
)

// On Windows every folder reads as mode 0777, so the Unix check would call each one open and
// say so at every start: it says nothing, and changes nothing.
func TestMakeFoldersPrivateSaysNothingOnWindows(t *testing.T) {
	dir, err := os.MkdirTemp("", "private")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dir) // os.Remove: Wine 8 cannot do os.RemoveAll (see scripts/wine-test)
	if notices := MakeFoldersPrivate(dir); len(notices) != 0 {
		t.Errorf("notices %q, want none", notices)
	}
}
