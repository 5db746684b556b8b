package core

import (
	"errors"
	"net/url"
)

// Browser opens a URL for the person. fyne.App satisfies it; internal/desktop.SystemBrowser
// (which honours $BROWSER) is the one the command line uses. core opens nothing itself.
type Browser interface {
	OpenURL(*url.URL) error
}

// BrowserFunc adapts a function (a scripted browser in tests, a GUI hook) to Browser.
type BrowserFunc func(*url.URL) error

func (f BrowserFunc) OpenURL(u *url.URL) error { return f(u) }

// NoBrowser is for --no-browser: the link is shown and the redirect pasted back.
var NoBrowser = BrowserFunc(func(*url.URL) error { return errNoBrowser })

var errNoBrowser = errors.New("browser not opened on request")
