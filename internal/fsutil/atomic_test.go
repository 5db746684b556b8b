package fsutil

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "new" {
		t.Errorf("content = %q", got)
	}
	if m := fileMode(t, path); m != 0o600 {
		t.Errorf("mode = %o, want 600 even over a 644 file", m)
	}
	if got := dirEntries(t, dir); !slices.Equal(got, []string{"f.json"}) {
		t.Errorf("folder holds %q", got)
	}
	// A write into a missing folder fails, names the file and leaves nothing.
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f.json"), []byte("x")); err == nil ||
		!strings.Contains(err.Error(), filepath.Join(dir, "missing", "f.json")) {
		t.Errorf("write into a missing folder = %v", err)
	}
}

// A locked write removes the temp files a dead writer of the same file left, and only those:
// another file's temp file, and a folder that looks like a temp file, stay. (The write killed
// for real is core/security_local_test.go:TestDeadWritersTempFileGoesWithTheNextWrite.)
func TestWriteLockedFileAtomicSweepsOnlyItsOwnDeadTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "apps.json")
	for _, name := range []string{".apps.json.123.tmp", ".vault.json.456.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".apps.json.789.tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteLockedFileAtomic(path, []byte("whole")); err != nil {
		t.Fatal(err)
	}
	if got, want := dirEntries(t, dir), []string{".apps.json.789.tmp", ".vault.json.456.tmp", "apps.json"}; !slices.Equal(got, want) {
		t.Errorf("folder holds %q, want %q", got, want)
	}
	if got, _ := os.ReadFile(path); string(got) != "whole" {
		t.Errorf("content = %q", got)
	}
}
