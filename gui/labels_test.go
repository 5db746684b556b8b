package gui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// Grant type and auth method read in plain words, the protocol's name after them; what is
// saved is still the protocol's value. The header button says "Connect" until the app is
// connected, then a secondary "Reconnect" (a loud one when the connection needs it).
func TestPlainLabelsAndReconnect(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Plain", nil)
	addConnectedApp(t, svc, "Connected", nil, connectedFor(time.Hour))
	needs := connectedFor(time.Hour)
	needs.State = core.StateNeedsReauth
	addConnectedApp(t, svc, "Stale", nil, needs)
	w := openWindow(t, svc)
	f := w.form

	selectApp(t, w, "Plain")
	for sel, values := range map[*widget.Select][]string{
		f.grantType:  {string(core.GrantAuthorizationCode), string(core.GrantDeviceCode), string(core.GrantClientCredentials)},
		f.authMethod: {string(core.AuthMethodAuto), string(core.AuthMethodBasic), string(core.AuthMethodPost), string(core.AuthMethodNone)},
	} {
		for i, o := range sel.Options {
			if strings.HasPrefix(o, values[i]) || strings.ContainsAny(o[:1], "_") {
				t.Errorf("option %q starts with the protocol's name", o)
			}
		}
	}
	if f.grantType.Selected != "Sign in in the browser (authorization_code)" {
		t.Errorf("the saved grant type reads %q", f.grantType.Selected)
	}
	f.grantType.SetSelected("Enter a code on another device (device_code)")
	f.urls["device_authorization_uri"].SetText("https://example.com/device")
	f.authMethod.SetSelected("Secret in the request body (client_secret_post)")
	test.Tap(f.save)
	got, _ := svc.Get("Plain")
	if got.GrantType != core.GrantDeviceCode || got.TokenEndpointAuthMethod != core.AuthMethodPost {
		t.Fatalf("saved %q / %q (status %q)", got.GrantType, got.TokenEndpointAuthMethod, f.status.Text)
	}
	if w.top.connect.Text != "Connect" || w.top.connect.Importance != widget.HighImportance {
		t.Errorf("not connected: the button reads %q (%v)", w.top.connect.Text, w.top.connect.Importance)
	}
	selectApp(t, w, "Connected")
	if w.top.connect.Text != "Reconnect" || w.top.connect.Importance != widget.MediumImportance {
		t.Errorf("connected: the button reads %q (%v), want a secondary Reconnect", w.top.connect.Text, w.top.connect.Importance)
	}
	selectApp(t, w, "Stale")
	if w.top.connect.Text != "Reconnect" || w.top.connect.Importance != widget.HighImportance {
		t.Errorf("needs re-authorization: the button reads %q (%v), want a loud Reconnect", w.top.connect.Text, w.top.connect.Importance)
	}
}

// "Accept any free port" is a toggle, not a 0 typed into the port: it saves port 0, shows the
// any-port redirect URI, greys the port out, and gives the old port back when turned off.
func TestAnyFreePortIsAToggle(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Example", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "Example")
	f := w.form
	if f.anyPort.Checked || f.redirectPort.Disabled() || f.redirectPort.Text != "8765" {
		t.Fatalf("a fixed port: toggle %v, entry disabled %v, %q", f.anyPort.Checked, f.redirectPort.Disabled(), f.redirectPort.Text)
	}
	test.Tap(f.anyPort)
	if !f.redirectPort.Disabled() || !strings.Contains(f.redirectURI.Text, "any port") {
		t.Errorf("any port: entry disabled %v, redirect URI %q", f.redirectPort.Disabled(), f.redirectURI.Text)
	}
	test.Tap(f.save)
	if got, _ := svc.Get("Example"); got.RedirectPort != 0 {
		t.Fatalf("saved port %d, want 0 (status %q)", got.RedirectPort, f.status.Text)
	}
	selectApp(t, w, "Example")
	if !f.anyPort.Checked || !f.redirectPort.Disabled() {
		t.Error("a saved any-port app does not show the toggle on")
	}
	test.Tap(f.anyPort)
	if f.redirectPort.Disabled() || f.redirectPort.Text != "8765" {
		t.Errorf("turned off: entry disabled %v, %q", f.redirectPort.Disabled(), f.redirectPort.Text)
	}
}
