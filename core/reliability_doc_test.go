package core

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docTestRef is how docs/RELIABILITY.md names a test: `dir/file_test.go:TestName` (the dir
// may be nested: `internal/fsutil/lock_test.go:…`), or `…:TestName/sub case` for one case of
// a table test (spaces written as _, as go test does).
var docTestRef = regexp.MustCompile("`((?:[a-z0-9]+/)+[a-z0-9_]+_test\\.go):(Test[A-Za-z0-9_]+)(/[^`]+)?`")

// TestReliabilityDocNamesRealTests keeps docs/RELIABILITY.md honest: every row of its tables
// names at least one test, and every test it names exists, in the file it names, with the
// case it names.
func TestReliabilityDocNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "RELIABILITY.md"))
	if err != nil {
		t.Fatalf("reading docs/RELIABILITY.md: %v", err)
	}
	files := map[string]string{}
	source := func(path string) string {
		if s, ok := files[path]; ok {
			return s
		}
		b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(path)))
		if err != nil {
			t.Errorf("docs/RELIABILITY.md names %s, which cannot be read: %v", path, err)
		}
		files[path] = string(b)
		return files[path]
	}
	rows, refs := 0, 0
	for i, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "|") && !strings.HasPrefix(line, "|---") && !strings.HasPrefix(line, "| what was tried") {
			rows++
			cells := strings.Split(strings.TrimSuffix(strings.TrimSpace(line), "|"), "|")
			if len(cells) < 5 || !docTestRef.MatchString(cells[len(cells)-1]) {
				t.Errorf("docs/RELIABILITY.md line %d: the row names no test in its last column: %s", i+1, line)
			}
		}
		for _, m := range docTestRef.FindAllStringSubmatch(line, -1) {
			refs++
			src := source(m[1])
			if !strings.Contains(src, "func "+m[2]+"(t *testing.T)") {
				t.Errorf("docs/RELIABILITY.md line %d: %s has no %s", i+1, m[1], m[2])
				continue
			}
			if sub := strings.TrimPrefix(m[3], "/"); sub != "" {
				// A case is named in the source as a string literal; go test writes its spaces as _.
				if !strings.Contains(src, `"`+sub+`"`) && !strings.Contains(src, `"`+strings.ReplaceAll(sub, "_", " ")+`"`) {
					t.Errorf("docs/RELIABILITY.md line %d: %s:%s has no case %q", i+1, m[1], m[2], sub)
				}
			}
		}
	}
	if rows < 50 || refs < rows {
		t.Errorf("docs/RELIABILITY.md has %d rows and %d test names; the tables seem to be missing", rows, refs)
	}
}
