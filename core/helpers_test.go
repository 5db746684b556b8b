package core

import (
	"io/fs"
	"os"
	"slices"
	"testing"
)

// registryTestNames are the apps' names, sorted (core/registry's tests have the same).
func registryTestNames(apps []App) []string {
	var names []string
	for _, a := range apps {
		names = append(names, a.ProviderName)
	}
	slices.Sort(names)
	return names
}

// registryTestMode is a file's permission bits.
func registryTestMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
