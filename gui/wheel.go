package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// wheelScroll is a vertical scroll over content that the mouse wheel scrolls wherever the
// pointer is. Each widget.Entry holds a scroller of its own (to clip long text), and the
// driver hands the wheel to the innermost scrollable under the pointer: the entry's, which
// kept it, so the page stopped whenever a field came under the pointer. A transparent layer
// over the content, found after the fields, takes the wheel and turns the page instead. It
// is only Scrollable: taps, hovers, drags and the text cursor still reach the fields below.
func wheelScroll(content fyne.CanvasObject) *container.Scroll {
	s := container.NewVScroll(nil)
	layer := &wheelLayer{target: s}
	layer.ExtendBaseWidget(layer)
	s.Content = container.NewStack(content, layer)
	return s
}

type wheelLayer struct {
	widget.BaseWidget
	target *container.Scroll
}

func (l *wheelLayer) Scrolled(ev *fyne.ScrollEvent) { l.target.Scrolled(ev) }

func (l *wheelLayer) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewWithoutLayout())
}

func (l *wheelLayer) MinSize() fyne.Size { return fyne.Size{} }
