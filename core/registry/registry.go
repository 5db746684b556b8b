package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"connectedapps/core/app"
	"connectedapps/core/fail"
	"connectedapps/internal/fsutil"
)

// Version is the apps.json format this build writes. A newer file is refused rather
// than rewritten, so an older build never drops fields it does not know.
// 2: accounts (format 1 held one "connection", read as one account).
const Version = 2

// LockWait bounds how long a change waits for another process holding the registry lock.
const LockWait = 30 * time.Second

// Registry is apps.json: every registration and its non-secret connection facts. It is shared
// by the window and any number of command-line processes, so every change is
// lock, re-read, apply, write (temp file + rename).
type Registry struct {
	dir string
}

type registryFile struct {
	Version int       `json:"version"`
	Apps    []app.App `json:"apps"`
}

// DefaultConfigDir is os.UserConfigDir()/connectedapps, so XDG_CONFIG_HOME moves it.
func DefaultConfigDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the configuration folder (%v): set XDG_CONFIG_HOME or HOME", err)
	}
	return filepath.Join(base, "connectedapps"), nil
}

// MakeFolderPrivate tightens an existing configuration folder dir, and its locks folder, to
// 0700 when group or others have any access to it (a folder made by something else, or by an
// old umask): the files inside are 0600 already, but an open folder lets another user list the
// apps' lock files, and one that is writable lets them replace a file. It returns one notice per
// folder changed (or that could not be changed), for the front end to say once; a folder that
// is private, or missing (it is made 0700), gives none.
func MakeFolderPrivate(dir string) []string {
	return fsutil.MakeFoldersPrivate(dir, filepath.Join(dir, "locks"))
}

// Open uses dir for apps.json and its lock files; the folder is made on first write.
func Open(dir string) *Registry { return &Registry{dir: dir} }

// LockPath is the lock file of one app for one purpose ("refresh"), in the registry's locks
// folder, which MakeFolderPrivate keeps private.
func (r *Registry) LockPath(appID, what string) string {
	return filepath.Join(r.dir, "locks", appID+"."+what+".lock")
}

// Dir is the folder holding apps.json.
func (r *Registry) Dir() string { return r.dir }

// Path is the full path of apps.json.
func (r *Registry) Path() string { return filepath.Join(r.dir, "apps.json") }

// Load reads every app. A missing file is an empty registry; an unreadable one is an error
// naming the file.
func (r *Registry) Load() ([]app.App, error) {
	f, err := r.read()
	if err != nil {
		return nil, err
	}
	return f.Apps, nil
}

// Find returns the app whose name matches case-insensitively, or whose id is exactly nameOrID.
// It decodes only that app when apps.index describes the file as read now (see index.go).
func (r *Registry) Find(nameOrID string) (app.App, error) {
	data, err := os.ReadFile(r.Path())
	if err == nil {
		if a, found, ok := r.findIndexed(data, nameOrID); ok {
			if found {
				return a, nil
			}
			return app.App{}, notFound(nameOrID)
		}
	}
	f, err := r.parse(data, err)
	if err != nil {
		return app.App{}, err
	}
	if i := Index(f.Apps, nameOrID); i >= 0 {
		return f.Apps[i], nil
	}
	return app.App{}, notFound(nameOrID)
}

func notFound(nameOrID string) error {
	return fail.Failf(fail.ErrNotFound, "no app named %q", nameOrID).With(fail.SeeApps())
}

// Index is the position in apps of the app Find would return, -1 if none.
func Index(apps []app.App, nameOrID string) int {
	for i := range apps {
		if strings.EqualFold(apps[i].ProviderName, nameOrID) {
			return i
		}
	}
	for i := range apps {
		if apps[i].ID == nameOrID {
			return i
		}
	}
	return -1
}

// Update runs change on a fresh read of the registry under the cross-process lock and writes
// the result. If change returns an error nothing is written.
func (r *Registry) Update(change func(apps []app.App) ([]app.App, error)) error {
	return fsutil.Locked(context.Background(), r.dir, filepath.Join(r.dir, "apps.json.lock"), LockWait, func() error {
		f, err := r.read()
		if err != nil {
			return err
		}
		apps, err := change(f.Apps)
		if err != nil {
			return err
		}
		return r.write(registryFile{Version: Version, Apps: apps})
	})
}

// UpdateApp changes one app found by id, under the lock.
func (r *Registry) UpdateApp(id string, change func(a *app.App) error) error {
	return r.Update(func(apps []app.App) ([]app.App, error) {
		for i := range apps {
			if apps[i].ID == id {
				return apps, change(&apps[i])
			}
		}
		return nil, fail.Failf(fail.ErrNotFound, "the app was removed meanwhile")
	})
}

func (r *Registry) read() (registryFile, error) {
	return r.parse(os.ReadFile(r.Path()))
}

// parse is read's work on apps.json's content data, as os.ReadFile returned it with err.
func (r *Registry) parse(data []byte, err error) (registryFile, error) {
	if errors.Is(err, fs.ErrNotExist) {
		return registryFile{Version: Version, Apps: []app.App{}}, nil
	}
	if err != nil {
		return registryFile{}, fail.Failf(fail.ErrCorruptRegistry, "cannot read %s (%v): check its permissions", r.Path(), err)
	}
	var f registryFile
	if err := json.Unmarshal(data, &f); err != nil {
		return registryFile{}, fail.Failf(fail.ErrCorruptRegistry, "cannot parse %s (%v): it was left untouched; repair it or move it away to start afresh", r.Path(), err)
	}
	if f.Version > Version {
		return registryFile{}, fail.Failf(fail.ErrCorruptRegistry, "%s was written by a newer version (format %d): update connectedapps", r.Path(), f.Version)
	}
	if f.Apps == nil {
		f.Apps = []app.App{}
	}
	for i := range f.Apps {
		f.Apps[i].UpgradeLegacy()
	}
	return f, nil
}

func (r *Registry) write(f registryFile) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := fsutil.WriteLockedFileAtomic(r.Path(), data); err != nil {
		return err
	}
	r.writeIndex(data, f.Apps)
	return nil
}

// Lock takes an exclusive cross-process lock on path, waiting up to wait; a wait given up
// because ctx was canceled is fail.ErrCanceled (a lock held too long is fsutil.ErrBusy, which
// is fail.ErrBusy). The registry's own lock and core's per-app locks are all taken with it.
func Lock(ctx context.Context, path string, wait time.Duration) (unlock func(), err error) {
	unlock, err = fsutil.LockFile(ctx, path, wait)
	if errors.Is(err, context.Canceled) {
		return nil, fail.ErrCanceled
	}
	return unlock, err
}
