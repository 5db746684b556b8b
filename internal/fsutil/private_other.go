//go:build !windows

package fsutil

import (
	"fmt"
	"os"
)

// MakeFoldersPrivate tightens each existing folder in dirs to 0700 when group or others have
// any access to it (a folder made by something else, or under an old umask): an open folder
// lets another user list the files inside, and a writable one lets them replace a file. It
// returns one notice per folder changed (or that could not be changed), for the front end to
// say once; a folder that is private, or missing, gives none.
func MakeFoldersPrivate(dirs ...string) []string {
	var notices []string
	for _, d := range dirs {
		info, err := os.Stat(d)
		if err != nil || !info.IsDir() || info.Mode().Perm()&0o077 == 0 {
			continue
		}
		was := info.Mode().Perm()
		if err := os.Chmod(d, 0o700); err != nil {
			notices = append(notices, fmt.Sprintf("the folder %s is open to other users (mode %04o) and could not be made private (%v): have its owner run `chmod 700 %s`", d, was, err, d))
			continue
		}
		notices = append(notices, fmt.Sprintf("the folder %s was open to other users (mode %04o); it is now private to you (0700)", d, was))
	}
	return notices
}
