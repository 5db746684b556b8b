package core

import (
	"errors"
	"net/url"
	"testing"
)

func TestBrowserFuncAndNoBrowser(t *testing.T) {
	var got *url.URL
	b := BrowserFunc(func(u *url.URL) error { got = u; return nil })
	u, _ := url.Parse("https://idp.example.com/authorize?state=x")
	if err := b.OpenURL(u); err != nil || got != u {
		t.Errorf("BrowserFunc.OpenURL = %v, got %v", err, got)
	}
	if err := NoBrowser.OpenURL(u); err == nil || !errors.Is(err, errNoBrowser) {
		t.Errorf("NoBrowser.OpenURL = %v; want errNoBrowser", err)
	}
}
