package gui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"connectedapps/core"
)

// Markup snapshots of the window's main states: what is drawn, where, in which style. A
// change to the layout shows up here as a diff to look at; when it is intended, refresh the
// files from testdata/failed/ (the test writes the new rendering there).
func TestSnapshotsOfTheMainStates(t *testing.T) {
	// Times are shown in local time: pin it, so the snapshots do not depend on the machine.
	local := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = local })
	svc := newTestService(t)
	w := openWindow(t, svc)
	w.win.Resize(fyne.NewSize(1000, 680))
	test.AssertRendersToMarkup(t, "main_empty.xml", w.win.Canvas())

	expires := testNow.Add(42 * time.Minute)
	addApp(t, svc, "Example", &core.Connection{State: core.StateConnected, ExpiresAt: &expires, Email: "ada@example.com",
		Name: "Ada", Subject: "1234", GrantedScopes: []string{}, HasRefreshToken: true, ConnectedAt: testNow})
	addApp(t, svc, "Other", nil)
	bumpRegistry(t, svc)
	w.registry.check()
	w.selectID(w.sidebar.shown[0].ID)
	test.AssertRendersToMarkup(t, "main_registration.xml", w.win.Canvas())

	w.showTab(1)
	test.AssertRendersToMarkup(t, "main_connection.xml", w.win.Canvas())
}
