package gui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// Every text colour the window draws is at least 4.5:1 against every surface it is drawn on,
// in the light and the dark theme, computed from the theme's own colours as WCAG 2 defines
// the ratio. (Fyne's default light success green, the "Connected" badge, is about 1.5:1.)
func TestEveryTextColourHasContrastInBothThemes(t *testing.T) {
	th := newReadableTheme()
	texts := []fyne.ThemeColorName{theme.ColorNameForeground, theme.ColorNamePlaceHolder, theme.ColorNamePrimary,
		theme.ColorNameHyperlink, theme.ColorNameSuccess, theme.ColorNameWarning, theme.ColorNameError}
	for variant, name := range map[fyne.ThemeVariant]string{theme.VariantLight: "light", theme.VariantDark: "dark"} {
		col := func(n fyne.ThemeColorName) color.Color { return th.Color(n, variant) }
		bg := col(theme.ColorNameBackground)
		selected := over(col(theme.ColorNameSelection), bg)
		surfaces := map[string]color.Color{
			"the background":          bg,
			"an entry":                col(theme.ColorNameInputBackground),
			"a dialog":                over(col(theme.ColorNameOverlayBackground), bg),
			"a menu":                  over(col(theme.ColorNameMenuBackground), bg),
			"a button":                over(col(theme.ColorNameButton), bg),
			"a selected row":          selected,
			"a hovered row":           over(col(theme.ColorNameHover), bg),
			"a hovered, selected row": over(col(theme.ColorNameHover), selected),
		}
		for _, text := range texts {
			for where, surface := range surfaces {
				if r := contrastRatio(col(text), surface); r < 4.5 {
					t.Errorf("%s theme: %s text on %s is %.2f:1, want at least 4.5:1", name, text, where, r)
				}
			}
		}
		// Text on coloured buttons (High, Danger, and the success and warning kinds).
		for _, pair := range [][2]fyne.ThemeColorName{
			{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
			{theme.ColorNameForegroundOnError, theme.ColorNameError},
			{theme.ColorNameForegroundOnSuccess, theme.ColorNameSuccess},
			{theme.ColorNameForegroundOnWarning, theme.ColorNameWarning},
		} {
			if r := contrastRatio(col(pair[0]), over(col(pair[1]), bg)); r < 4.5 {
				t.Errorf("%s theme: %s text on a %s button is %.2f:1, want at least 4.5:1", name, pair[0], pair[1], r)
			}
		}
	}
}

// The measure itself, against WCAG's reference values.
func TestContrastRatioMatchesWCAG(t *testing.T) {
	white, black := color.NRGBA{0xff, 0xff, 0xff, 0xff}, color.NRGBA{0, 0, 0, 0xff}
	for _, c := range []struct {
		a, b color.Color
		want float64
	}{
		{white, black, 21},
		{black, white, 21},
		{white, white, 1},
		{color.NRGBA{0x76, 0x76, 0x76, 0xff}, white, 4.54}, // the lightest grey passing AA on white
		{color.NRGBA{0x43, 0xf4, 0x36, 0xff}, white, 1.48}, // Fyne's default success green
		{over(color.NRGBA{0, 0, 0, 0x80}, white), white, 4.00},
	} {
		if got := contrastRatio(c.a, c.b); math.Abs(got-c.want) > 0.01 {
			t.Errorf("contrastRatio(%v, %v) = %.3f, want %.2f", c.a, c.b, got, c.want)
		}
	}
}

// The window's app gets the readable theme (Run calls applyTheme).
func TestTheAppUsesTheReadableTheme(t *testing.T) {
	a := test.NewTempApp(t)
	applyTheme(a)
	got := a.Settings().Theme().Color(theme.ColorNameSuccess, theme.VariantLight)
	if got != lightColors[theme.ColorNameSuccess] {
		t.Fatalf("the app's light success colour is %v, want the readable %v", got, lightColors[theme.ColorNameSuccess])
	}
}

// TestBoldChineseIsBold draws Chinese words regular and bold in the Chinese window's theme
// and finds the bold ones inkier, as bold Latin is: Fyne's own fallback drew them at one
// weight (cjkfont.go). In English the theme's fonts are Fyne's.
func TestBoldChineseIsBold(t *testing.T) {
	if cjkFont(true) == nil || cjkFont(false) == nil {
		t.Skipf("no Noto Sans CJK collections at %v: install fonts-noto-cjk (make deps does)", cjkCollections)
	}
	inChinese(t)
	a := test.NewTempApp(t)
	th := newReadableTheme()
	a.Settings().SetTheme(th)
	if th.Font(fyne.TextStyle{Bold: true}) != cjkFont(true) || th.Font(fyne.TextStyle{}) != cjkFont(false) || th.Font(fyne.TextStyle{Monospace: true}) == cjkFont(false) {
		t.Fatal("the Chinese window's theme does not draw text in Noto Sans CJK SC (monospace staying Fyne's)")
	}
	inkOf := func(s string, style fyne.TextStyle) int {
		text := canvas.NewText(s, theme.Color(theme.ColorNameForeground))
		text.TextSize, text.TextStyle = 20, style
		w := test.NewTempWindow(t, container.NewVBox(text))
		w.Resize(fyne.NewSize(240, 50))
		img := w.Canvas().Capture()
		b := img.Bounds()
		bg := color.NRGBAModel.Convert(img.At(b.Min.X, b.Min.Y)).(color.NRGBA)
		n := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				n += absDiff(c.R, bg.R) + absDiff(c.G, bg.G) + absDiff(c.B, bg.B)
			}
		}
		return n
	}
	for _, s := range []string{"登记连接", "Register"} {
		regular, bold := inkOf(s, fyne.TextStyle{}), inkOf(s, fyne.TextStyle{Bold: true})
		if regular == 0 || bold < regular*23/20 {
			t.Errorf("%q: bold has %d of ink, regular %d: bold is not drawn bold", s, bold, regular)
		}
	}
	useLanguage(languageEnglish)
	if en := newReadableTheme(); en.Font(fyne.TextStyle{Bold: true}) != theme.DefaultTheme().Font(fyne.TextStyle{Bold: true}) {
		t.Error("the English window does not keep Fyne's fonts")
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
