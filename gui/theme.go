package gui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// readableTheme is Fyne's default theme with every text colour at least 4.5:1 (WCAG 2 AA)
// against each surface it is drawn on, in light and dark. The default's light success green
// is 1.5:1 on white, its warning orange 2.2:1, its error red and primary blue below 4.5:1, its
// placeholder grey 3.5:1; in dark, the primary blue is 4:1. Only those colours change, and
// the selection, which light text sits on in the app list. Disabled text is left as it is:
// WCAG exempts inactive controls, and its faintness is what says "disabled".
//
// In the Chinese window it also draws text in Noto Sans CJK SC, bold where bold is asked
// (cjkfont.go).
type readableTheme struct {
	fyne.Theme
	chinese bool
}

func newReadableTheme() fyne.Theme {
	return readableTheme{Theme: theme.DefaultTheme(), chinese: windowInChinese()}
}

// windowInChinese: the window's words are Chinese (the system's locale or Settings chose
// it): core's catalogue, which only Chinese has, answers.
func windowInChinese() bool {
	_, ok := coreFormat("not found")
	return ok
}

func (t readableTheme) Font(s fyne.TextStyle) fyne.Resource {
	if t.chinese && !s.Monospace && !s.Symbol {
		if f := cjkFont(s.Bold); f != nil {
			return f
		}
	}
	return t.Theme.Font(s)
}

// applyTheme gives the app the readable colours; light or dark still follows the desktop.
func applyTheme(a fyne.App) {
	th := newReadableTheme()
	if th.(readableTheme).chinese {
		// Cut the Chinese faces while the window is built, not on its first paint.
		go cjkFont(false)
		go cjkFont(true)
	}
	a.Settings().SetTheme(th)
}

var (
	lightColors = map[fyne.ThemeColorName]color.Color{
		theme.ColorNamePrimary:     color.NRGBA{0x1a, 0x4f, 0xb8, 0xff},
		theme.ColorNameHyperlink:   color.NRGBA{0x1a, 0x4f, 0xb8, 0xff},
		theme.ColorNameSuccess:     color.NRGBA{0x17, 0x69, 0x2a, 0xff},
		theme.ColorNameWarning:     color.NRGBA{0x8f, 0x4a, 0x00, 0xff},
		theme.ColorNameError:       color.NRGBA{0xb3, 0x26, 0x1e, 0xff},
		theme.ColorNamePlaceHolder: color.NRGBA{0x5a, 0x5a, 0x5a, 0xff},
		theme.ColorNameSelection:   color.NRGBA{0x00, 0x6c, 0xff, 40},
	}
	darkColors = map[fyne.ThemeColorName]color.Color{
		theme.ColorNamePrimary:   color.NRGBA{0x7a, 0xa7, 0xf9, 0xff},
		theme.ColorNameHyperlink: color.NRGBA{0x7a, 0xa7, 0xf9, 0xff},
		theme.ColorNameError:     color.NRGBA{0xff, 0x7b, 0x70, 0xff},
		// A blue light enough to read on the dark background is too light for white text:
		// buttons on it get the background's near-black instead.
		theme.ColorNameForegroundOnPrimary: color.NRGBA{0x17, 0x17, 0x18, 0xff},
	}
)

func (t readableTheme) Color(name fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	colors := lightColors
	if v == theme.VariantDark {
		colors = darkColors
	}
	if c, ok := colors[name]; ok {
		return c
	}
	return t.Theme.Color(name, v)
}

// relativeLuminance is WCAG 2's relative luminance of an opaque colour.
func relativeLuminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrastRatio is WCAG 2's contrast ratio of two opaque colours, from 1 to 21.
func contrastRatio(a, b color.Color) float64 {
	la, lb := relativeLuminance(a), relativeLuminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// over composites c on the opaque colour below, as the screen shows a translucent
// selection or hover over the background.
func over(c, below color.Color) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	b := color.NRGBAModel.Convert(below).(color.NRGBA)
	a := float64(n.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{mix(n.R, b.R), mix(n.G, b.G), mix(n.B, b.B), 0xff}
}
