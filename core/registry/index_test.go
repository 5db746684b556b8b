package registry

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// registryTestIndexed writes three apps and returns the registry, after checking that the index
// was written, private, and that Find answers through it (the index alone: apps.json's bytes
// are what it is checked against, so a Find that answers proves the fast path was taken only
// when findIndexed says so).
func registryTestIndexed(t *testing.T) (*Registry, []app.App) {
	t.Helper()
	r := Open(registryTestDir(t))
	apps := []app.App{app.NewApp("Google"), app.NewApp("GitHub"), app.NewApp("Tab\tand \"quote\" ü")}
	apps[1].ClientID = "gh-client"
	if err := registryTestAdd(r, apps...); err != nil {
		t.Fatal(err)
	}
	if m := registryTestMode(t, r.indexPath()); m != 0o600 {
		t.Errorf("apps.index mode = %o, want 600", m)
	}
	data, err := os.ReadFile(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range apps {
		for _, q := range []string{want.ProviderName, strings.ToUpper(want.ProviderName), want.ID} {
			a, found, ok := r.findIndexed(data, q)
			if !ok || !found || a.ID != want.ID || a.ClientID != want.ClientID {
				t.Errorf("findIndexed(%q) = %+v, found %v, ok %v; want %s through the index", q, a, found, ok, want.ProviderName)
			}
		}
	}
	if _, found, ok := r.findIndexed(data, "Bitbucket"); !ok || found {
		t.Errorf("findIndexed(missing) found %v, ok %v; want an indexed not-found", found, ok)
	}
	return r, apps
}

func TestRegistryIndexAnswersFindLikeTheFullParse(t *testing.T) {
	r, apps := registryTestIndexed(t)
	all, err := r.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"google", "GITHUB", apps[2].ProviderName, apps[0].ID, "Bitbucket", ""} {
		got, errIdx := r.Find(q)
		var want app.App
		if i := Index(all, q); i >= 0 {
			want = all[i]
		}
		if got.ID != want.ID || got.ClientID != want.ClientID || (errIdx == nil) != (Index(all, q) >= 0) {
			t.Errorf("Find(%q) = %s, %v; the full parse finds %q", q, got.ID, errIdx, want.ID)
		}
		if Index(all, q) < 0 && !errors.Is(errIdx, fail.ErrNotFound) {
			t.Errorf("Find(%q) = %v, want fail.ErrNotFound", q, errIdx)
		}
	}
}

// Another process (a person with an editor, an older build) changes apps.json without touching
// apps.index: Find must see the file as it is now, even when the edit keeps its size.
func TestRegistryIndexIgnoredAfterAnEdit(t *testing.T) {
	r, apps := registryTestIndexed(t)
	data, _ := os.ReadFile(r.Path())
	// Same length: rename GitHub to GitHoB, and give Google's client id a same-size value.
	edited := bytes.Replace(data, []byte(`"GitHub"`), []byte(`"GitHoB"`), 1)
	if len(edited) != len(data) || bytes.Equal(edited, data) {
		t.Fatal("the edit did not apply")
	}
	if err := os.WriteFile(r.Path(), edited, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := r.findIndexed(edited, "GitHub"); ok {
		t.Error("the index was used for a file it does not describe")
	}
	if _, err := r.Find("GitHub"); !errors.Is(err, fail.ErrNotFound) {
		t.Errorf("Find(old name) after the edit = %v, want fail.ErrNotFound", err)
	}
	if a, err := r.Find("githob"); err != nil || a.ID != apps[1].ID {
		t.Errorf("Find(new name) after the edit = %+v, %v", a, err)
	}
	// The next write under the lock makes the index right again.
	if err := r.Update(func(cur []app.App) ([]app.App, error) { return cur, nil }); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(r.Path())
	if a, found, ok := r.findIndexed(data, "GitHoB"); !ok || !found || a.ID != apps[1].ID {
		t.Errorf("after a write the index does not answer: %+v %v %v", a, found, ok)
	}
}

// A crash after apps.json's rename and before the index's leaves the old index beside the new
// file; a corrupt apps.json beside a valid index must still be reported, never answered from
// the index; a damaged or missing index (it is written without fsync) only means the full parse.
func TestRegistryIndexStaleOrDamagedFallsBack(t *testing.T) {
	r, apps := registryTestIndexed(t)
	oldIndex, _ := os.ReadFile(r.indexPath())
	added := app.NewApp("Added later")
	if err := registryTestAdd(r, added); err != nil {
		t.Fatal(err)
	}
	// The crash: the new apps.json, the old index.
	if err := os.WriteFile(r.indexPath(), oldIndex, 0o600); err != nil {
		t.Fatal(err)
	}
	if a, err := r.Find("added later"); err != nil || a.ID != added.ID {
		t.Errorf("Find beside a stale index = %+v, %v; want the app apps.json holds", a, err)
	}

	for name, index := range map[string]string{
		"empty":         "", // apps.index is not fsynced: a power cut may leave it empty or zeroed
		"zeroed":        string(make([]byte, len(oldIndex))),
		"garbage":       "not an index",
		"offsets past":  strings.Replace(string(oldIndex), "\n", "\n999999 9999999 \"x\" \"y\"\n", 2),
		"unquoted name": indexMagic + "\nabc\n1 2 id name\n",
	} {
		if err := os.WriteFile(r.indexPath(), []byte(index), 0o600); err != nil {
			t.Fatal(err)
		}
		if a, err := r.Find(apps[1].ProviderName); err != nil || a.ID != apps[1].ID {
			t.Errorf("%s index: Find = %+v, %v", name, a, err)
		}
	}
	if err := os.Remove(r.indexPath()); err != nil {
		t.Fatal(err)
	}
	if a, err := r.Find(apps[0].ID); err != nil || a.ID != apps[0].ID {
		t.Errorf("no index: Find = %+v, %v", a, err)
	}

	// Corrupt apps.json beside an index that was right for the file before.
	if err := registryTestAdd(r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.Path(), []byte(`{"version":1,"apps":[{"id":"ab`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Find(apps[0].ProviderName); !errors.Is(err, fail.ErrCorruptRegistry) || !strings.Contains(err.Error(), r.Path()) {
		t.Errorf("Find on a corrupt file beside an index = %v, want fail.ErrCorruptRegistry naming it", err)
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), indexName)); err != nil {
		t.Errorf("the index went away on a read: %v", err)
	}
}
