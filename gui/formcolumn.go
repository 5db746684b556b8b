package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// labelColumn is the one label column of a page made of several forms. The Registration
// page is split into forms by its section headers, hints and folding sections, and each
// widget.Form sizes its label column to its own widest label: Provider Name, Client ID and
// Redirect host stood at three different indents. Forms made by one labelColumn give every
// label the width of the widest of them all, so the fields start on one line down the page.
type labelColumn struct{ labels []*widget.Label }

// form lays the items out as widget.Form does (bold labels on the right of their column,
// each field beside its label), with the column shared.
func (c *labelColumn) form(items ...*widget.FormItem) *fyne.Container {
	cells := make([]fyne.CanvasObject, 0, 2*len(items))
	for _, it := range items {
		l := &widget.Label{Text: it.Text, TextStyle: fyne.TextStyle{Bold: true}, Alignment: fyne.TextAlignTrailing}
		c.labels = append(c.labels, l)
		cells = append(cells, container.New(c, l), it.Widget)
	}
	return container.New(layout.NewFormLayout(), cells...)
}

// MinSize makes a label cell as wide as the widest label of the column.
func (c *labelColumn) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var width float32
	for _, l := range c.labels {
		width = max(width, l.MinSize().Width)
	}
	return fyne.NewSize(width, objects[0].MinSize().Height)
}

func (c *labelColumn) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	objects[0].Move(fyne.NewPos(0, 0))
	objects[0].Resize(fyne.NewSize(size.Width, objects[0].MinSize().Height))
}
