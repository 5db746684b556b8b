// Package assets holds the resources embedded in the binary, so the window needs no files
// beside it at run time.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon (two linked rings on a blue rounded square, 256x256). The
// same file is FyneApp.toml's Icon, which `fyne package` uses for the desktop entry.
var Icon = fyne.NewStaticResource("icon.png", iconPNG)
