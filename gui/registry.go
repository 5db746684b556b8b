package gui

import (
	"os"
	"time"

	"fyne.io/fyne/v2"

	"connectedapps/core"
)

// registryPoll is how often the window checks whether another process changed apps.json.
const registryPoll = 2 * time.Second

// registryWatch reads the registry off the UI goroutine for the window, and notices a change
// another process (a script, the command line) made to apps.json.
type registryWatch struct {
	env *env
	// onRead gets the newest answer of a read; an older one arriving late is dropped.
	onRead func(apps []core.App, err error)
	// hasEdits says the form holds edits, which a change found by check never reloads over:
	// onChangedUnderEdits is told instead.
	hasEdits            func() bool
	onChangedUnderEdits func()

	// Touched only on the UI goroutine.
	seq   int       // answers to older reads are dropped, so the newest read wins
	stamp time.Time // apps.json's modification time at the last good read
}

// reload reads the registry off the UI goroutine and hands the answer to onRead.
func (r *registryWatch) reload() {
	r.seq++
	seq := r.seq
	svc := r.env.svc
	r.env.runAsync(func() {
		stamp := registryStamp(svc.RegistryPath())
		apps, err := svc.List()
		fyne.Do(func() {
			if seq != r.seq {
				return
			}
			if err == nil {
				r.stamp = stamp
			}
			r.onRead(apps, err)
		})
	})
}

// check notices a change another process made to apps.json. Without edits in the form the
// window simply reloads; with edits it asks first (a banner), so nothing typed is lost
// silently and nothing saved elsewhere is overwritten.
func (r *registryWatch) check() {
	path := r.env.svc.RegistryPath()
	r.env.runAsync(func() {
		stamp := registryStamp(path)
		fyne.Do(func() {
			if stamp.Equal(r.stamp) {
				return
			}
			if r.hasEdits() {
				r.onChangedUnderEdits()
				return
			}
			r.reload()
		})
	})
}

func registryStamp(path string) time.Time {
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}
