package gui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"connectedapps/core"
)

// BenchmarkFilterKeystroke1000 is one keystroke in the search box over 1,000 registered
// apps: the Entry's change, applyFilter over every app, and the list's refresh of its
// visible rows in a window of the default size (Fyne's test driver: everything but the
// GL paint). Target (docs/PERFORMANCE.md): at most 16 ms, one frame at 60 Hz.
func BenchmarkFilterKeystroke1000(b *testing.B) {
	w := benchWindow(b, 1000)
	// Typing narrows the list step by step, then clearing it shows all 1,000 again.
	const typed = "app 09"
	keystrokes := 0
	for b.Loop() {
		test.Type(w.sidebar.search, typed)
		w.sidebar.search.SetText("")
		keystrokes += len(typed) + 1
	}
	if w.sidebar.list.Length() != 1000 {
		b.Fatalf("cleared search shows %d apps, want 1000", w.sidebar.list.Length())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(keystrokes), "ms/keystroke")
}

// BenchmarkListReload1000 is what the window does when apps.json changes under it: read
// and parse 1,000 apps, filter and refresh the list.
func BenchmarkListReload1000(b *testing.B) {
	w := benchWindow(b, 1000)
	for b.Loop() {
		w.registry.reload()
	}
}

func benchWindow(b *testing.B, n int) *mainWindow {
	b.Helper()
	svc := newTestService(b)
	exp := testNow.Add(time.Hour)
	err := svc.Registry.Update(func(apps []core.App) ([]core.App, error) {
		for i := range n {
			a := core.NewApp(fmt.Sprintf("App %04d", i))
			a.ClientID = "client"
			a.AuthorizationURI, a.TokenURI = "https://login.example.com/auth", "https://login.example.com/token"
			if i%3 == 0 {
				a.SetConnection(&core.Connection{State: core.StateConnected, ExpiresAt: &exp, Email: fmt.Sprintf("user%04d@example.com", i)})
			}
			apps = append(apps, a)
		}
		return apps, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	test.NewTempApp(b)
	w := newMainWindow(testEnv(svc))
	b.Cleanup(w.win.Close)
	w.win.Show()
	w.registry.reload()
	if w.sidebar.list.Length() != n {
		b.Fatalf("the list shows %d apps, want %d", w.sidebar.list.Length(), n)
	}
	return w
}
