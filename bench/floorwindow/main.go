// Command floorwindow is the floor for the window benchmark: the smallest Fyne program with
// a window of the main window's default size (1000×680) holding one label. It is built with
// the same tags as connectedapps, so the difference between the two is our own start-up.
//
// With FLOORWINDOW_CLOSE_HIDES=1 closing the window hides it and the program goes on, as ours
// does into the tray: the floor for the hidden window's idle CPU (bench/perf's idle-hidden row).
package main

import (
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("io.connectedapps.floorwindow")
	w := a.NewWindow("Floor")
	w.SetContent(widget.NewLabel("Connected Apps"))
	w.Resize(fyne.NewSize(1000, 680))
	if os.Getenv("FLOORWINDOW_CLOSE_HIDES") == "1" {
		w.SetCloseIntercept(w.Hide)
	}
	w.ShowAndRun()
}
