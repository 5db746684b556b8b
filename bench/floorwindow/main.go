// Command floorwindow is the floor for the window benchmark: the smallest Fyne program with
// a window of the main window's default size (1000×680) holding one label. It is built with
// the same tags as connectedapps, so the difference between the two is our own start-up.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("io.connectedapps.floorwindow")
	w := a.NewWindow("Floor")
	w.SetContent(widget.NewLabel("Connected Apps"))
	w.Resize(fyne.NewSize(1000, 680))
	w.ShowAndRun()
}
