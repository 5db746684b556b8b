//go:build linux

package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectedapps/core"
)

// screenshotsDirEnv names the folder TestScreenshots writes the README's pictures to;
// unset (as in `make test`), the test is skipped. `make screenshots` sets it to docs/.
const screenshotsDirEnv = "CONNECTEDAPPS_SCREENSHOTS_DIR"

// TestScreenshots makes the README's pictures from the real window under Xvfb:
//
//	screenshot-main.png       the list of apps, each with its state
//	screenshot-form.png       one app's document (the Registration tab)
//	screenshot-connected.png  a connected app's Connection tab
//
// The apps are sample registrations made from the provider presets and written to a fresh
// registry when it runs, with expiry times relative to the moment, so "expires in 42 min" is
// true in the picture; the connected one also has (made-up) tokens in the session's keyring.
// Nothing here signs in anywhere: the window only shows what is stored, and no app is due
// for a background refresh, so the window makes no network request.
func TestScreenshots(t *testing.T) {
	out := os.Getenv(screenshotsDirEnv)
	if out == "" {
		t.Skipf("makes the README's screenshots; run `make screenshots` (or set %s to a folder)", screenshotsDirEnv)
	}
	out, err := filepath.Abs(out)
	if err != nil {
		t.Fatal(err)
	}
	// The README's pictures in English, then the same in Simplified Chinese (name-zh.png),
	// each from a window started under that locale, as a person's system would start it.
	for _, lang := range []struct{ locale, suffix string }{{"C.UTF-8", ""}, {"zh_CN.UTF-8", "-zh"}} {
		t.Run(lang.locale, func(t *testing.T) { screenshotsIn(t, out, lang.locale, lang.suffix) })
	}
}

// screenshotsIn makes the three pictures of the window under locale, each named
// screenshot-<what><suffix>.png.
func screenshotsIn(t *testing.T, out, locale, suffix string) {
	d := startDesktopIn(t, locale)
	now := time.Now()
	apps := sampleApps(t, now)
	err := core.OpenRegistry(filepath.Join(d.configDir, "connectedapps")).Update(func([]core.App) ([]core.App, error) {
		return apps, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if a.Connection() != nil && a.Connection().State == core.StateConnected {
			d.keyringSet("app/"+a.ID+"/accounts/"+a.Default().ID+"/tokens", sampleTokens(t, a, now))
		}
	}
	d.startApp()
	restPointer := func() {
		// On the empty part of the menu bar, where nothing shows a hover.
		d.xdotool("mousemove", "--window", d.window, "600", "12")
	}
	restPointer()

	save := func(name string) {
		t.Helper()
		name = strings.TrimSuffix(name, ".png") + suffix + ".png"
		// Let a just-changed view settle into its final paint.
		time.Sleep(700 * time.Millisecond)
		if err := exec.Command("import", "-display", d.display, "-window", d.window, filepath.Join(out, name)).Run(); err != nil {
			t.Fatalf("saving %s: %v", name, err)
		}
		t.Logf("wrote %s", filepath.Join(out, name))
	}

	// 1. The list, nothing selected yet.
	d.waitFor("the list to show the sample apps (green: a connected one)", 30*time.Second, func() (bool, error) {
		return d.windowHas(isSuccessGreen, 100), nil
	})
	save("screenshot-main.png")

	// 2. Google Mail's document: from the search field (Ctrl+F), Down moves into the list;
	// Down moves through it (sorted by name), Space selects.
	index := -1
	for i, a := range sortedNames(apps) {
		if a == sampleConnected {
			index = i
		}
	}
	keys := []string{"ctrl+f", "Down"} // Down from the search moves into the list
	for range index {
		keys = append(keys, "Down")
	}
	d.key(append(keys, "space")...)
	// The form is drawn once its tabs are (the Chinese window, cutting its CJK faces at
	// start, can take longer than the keys do).
	d.waitFor("the app's form (its tabs)", 30*time.Second, func() (bool, error) {
		_, _, err := d.findTabBesideSelected()
		return err == nil, nil
	})
	save("screenshot-form.png")

	// 3. Its Connection tab. The tabs have no keyboard path, so the mouse clicks the tab to
	// the right of the selected one, found by its underline.
	x, y := d.tabBesideSelected()
	d.xdotool("mousemove", "--window", d.window, strconv.Itoa(x), strconv.Itoa(y), "click", "1")
	restPointer()
	d.waitFor("the Connection tab", 10*time.Second, func() (bool, error) {
		nx, _ := d.tabBesideSelected()
		return nx != x, nil
	})
	save("screenshot-connected.png")
}

// sampleConnected is the sample app shown connected, in the form and the Connection tab.
const sampleConnected = "Google Mail"

// sampleApps are registrations a person might have, one in each state.
func sampleApps(t *testing.T, now time.Time) []core.App {
	t.Helper()
	at := func(d time.Duration) *time.Time { v := now.Add(d).UTC(); return &v }
	fromPreset := func(preset, name, clientID string, fields map[string]string) core.App {
		t.Helper()
		p, err := core.PresetByID(preset)
		if err != nil {
			t.Fatal(err)
		}
		app := core.NewApp(name)
		if _, err := p.Apply(&app, fields); err != nil {
			t.Fatalf("preset %s: %v", preset, err)
		}
		app.ProviderName, app.ClientID = name, clientID
		return app
	}

	gmail := fromPreset("google", sampleConnected, "318754226094-k2v7d1f0q9.apps.googleusercontent.com", nil)
	gmail.Scopes = append(gmail.Scopes, "https://mail.google.com/")
	gmail.HasClientSecret = true
	signedIn := now.Add(-5*24*time.Hour + 2*time.Hour).UTC()
	gmail.SetConnection(&core.Connection{
		State:           core.StateConnected,
		ExpiresAt:       at(42*time.Minute + 30*time.Second),
		Subject:         "104729381620573948127",
		Name:            "Ada Lovelace",
		Email:           "ada@example.com",
		GrantedScopes:   []string{"openid", "email", "https://mail.google.com/"},
		HasRefreshToken: true,
		// Signed in almost 5 days ago: if the Google app is still in Testing mode, its refresh
		// token ends in 2 days, which the pictures show as refresh-token health warns of it.
		ConnectedAt:          signedIn,
		RefreshTokenIssuedAt: &signedIn,
	})

	github := fromPreset("github", "GitHub", "Iv23liQ4x8v0bWm1T2cZ", nil)
	github.HasClientSecret = true

	microsoft := fromPreset("microsoft", "Microsoft 365", "8f3e2a71-5c4d-4b9e-a0f6-2d1c7e9b4a53", map[string]string{"tenant": "common"})
	microsoft.SetConnection(&core.Connection{
		State: core.StateNeedsReauth, ExpiresAt: at(-3 * time.Hour), Name: "Ada Lovelace", Email: "ada@contoso.com",
		HasRefreshToken: true, ConnectedAt: now.Add(-91 * 24 * time.Hour).UTC(),
		LastError: "invalid_grant: the refresh token has expired due to inactivity",
	})

	sso := fromPreset("keycloak", "Company SSO", "cli-tools", map[string]string{"site": "https://sso.example.com", "realm": "acme"})
	sso.SetConnection(&core.Connection{
		State: core.StateConnected, ExpiresAt: at(-6 * time.Minute), Name: "Ada Lovelace", Email: "ada@acme.example",
		GrantedScopes: []string{"openid", "profile", "email"}, ConnectedAt: now.Add(-66 * time.Minute).UTC(),
	})

	erp := fromPreset("frappe", "ERPNext", "a1b2c3d4e5", map[string]string{"site": "https://erp.example.com"})
	erp.HasClientSecret = true
	erp.SetConnection(&core.Connection{
		State: core.StateConnected, ExpiresAt: at(3*time.Hour + 20*time.Minute), Name: "Ada Lovelace", Email: "ada@example.com",
		GrantedScopes: []string{"all", "openid"}, HasRefreshToken: true, ConnectedAt: now.Add(-40 * time.Minute).UTC(),
	})

	apps := []core.App{gmail, github, microsoft, sso, erp}
	for _, a := range apps {
		if err := a.Validate(); err != nil {
			t.Fatalf("sample app %s: %v", a.ProviderName, err)
		}
	}
	return apps
}

// sortedNames lists the apps' names as the window does (core.Service.List): by name,
// ignoring case.
func sortedNames(apps []core.App) []string {
	var names []string
	for _, a := range apps {
		names = append(names, a.ProviderName)
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return names
}

// sampleTokens is a made-up token record for a connected sample app, as core stores one.
func sampleTokens(t *testing.T, app core.App, now time.Time) string {
	t.Helper()
	random := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	obtained := app.Connection().ConnectedAt
	ts := core.TokenSet{AccessToken: "ya29." + random(120), TokenType: "Bearer", RefreshToken: "1//" + random(70),
		Expiry: app.Connection().ExpiresAt, Scopes: app.Connection().GrantedScopes, ObtainedAt: &obtained}
	data, err := json.Marshal(ts)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// tabBesideSelected finds the selected tab's underline in the window (a short, thin run of
// the theme's primary blue) and returns a point on the tab to its right, in window
// coordinates.
func (d *desktop) tabBesideSelected() (int, int) {
	d.t.Helper()
	x, y, err := d.findTabBesideSelected()
	if err != nil {
		d.t.Fatalf("%v: see %s", err, d.shot("no-tab-underline"))
	}
	return x, y
}

// findTabBesideSelected is tabBesideSelected that says, rather than fails, when there are
// no tabs (yet): the form is still being drawn.
func (d *desktop) findTabBesideSelected() (int, int, error) {
	path := filepath.Join(d.root, "tabs.png")
	if err := exec.Command("import", "-display", d.display, "-window", d.window, path).Run(); err != nil {
		return 0, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return 0, 0, err
	}
	blue := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		r, g, b = r>>8, g>>8, b>>8
		return b > 180 && r < 120 && g > 60 && g < 180
	}
	bounds := img.Bounds()
	for y := bounds.Min.Y + 3; y < bounds.Max.Y-3; y++ {
		for x := bounds.Min.X + bounds.Dx()/4; x < bounds.Max.X; x++ {
			if !blue(x, y) {
				continue
			}
			end := x
			for end < bounds.Max.X && blue(end, y) {
				end++
			}
			width := end - x
			mid := (x + end) / 2
			// An underline: 60 to 300 pixels wide, at most 4 tall (nothing blue 3 pixels
			// above its middle, and the row 5 below is not blue either).
			if width >= 60 && width <= 300 && !blue(mid, y-3) && !blue(mid, y+5) {
				return end + 60, y - 20, nil
			}
			x = end
		}
	}
	return 0, 0, errors.New("no selected tab (a thin blue underline) found in the window")
}
