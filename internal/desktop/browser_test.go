package desktop

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A link with the characters a shell or a naive split would trip on.
const browserTestLink = "https://idp.example.com/authorize?client_id=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=openid+email&state=x$y;z"

func browserOSOpener(link string) []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"open", link}
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", link}
	}
	return []string{"xdg-open", link}
}

func TestBrowserCommands(t *testing.T) {
	link := browserTestLink
	opener := browserOSOpener(link)
	tests := []struct {
		env  string
		want [][]string
	}{
		{"", [][]string{opener}},
		{"   ", [][]string{opener}},
		{":", [][]string{opener}},
		{"firefox", [][]string{{"firefox", link}, opener}},
		{"firefox:chromium", [][]string{{"firefox", link}, {"chromium", link}, opener}},
		{"firefox::chromium:", [][]string{{"firefox", link}, {"chromium", link}, opener}},
		{"mybrowser --new-tab %s", [][]string{{"mybrowser", "--new-tab", link}, opener}},
		{"mybrowser --url=%s --private", [][]string{{"mybrowser", "--url=" + link, "--private"}, opener}},
		{"  w3m  :lynx %s", [][]string{{"w3m", link}, {"lynx", link}, opener}},
	}
	for _, tt := range tests {
		got := browserCommands(tt.env, link)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("browserCommands(%q) =\n  %q\nwant\n  %q", tt.env, got, tt.want)
		}
		if last := got[len(got)-1]; !reflect.DeepEqual(last, opener) {
			t.Errorf("browserCommands(%q) does not end with the OS opener: %q", tt.env, last)
		}
	}
}

// browserScript writes a stand-in browser that records its arguments, one a line, to out.
// It writes to a temporary name and renames, so a reader never sees half a file.
func browserScript(t *testing.T, dir, out string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts as browsers need a Unix shell")
	}
	script := filepath.Join(dir, "fake-browser")
	body := "#!/bin/sh\n" +
		"for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + out + ".tmp'\n" +
		"mv '" + out + ".tmp' '" + out + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return script
}

// browserReadWhenWritten waits for the stand-in browser (started, not waited for) to finish.
func browserReadWhenWritten(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser never wrote %s: %v", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func browserTestURL(t *testing.T) *url.URL {
	t.Helper()
	u, err := url.Parse(browserTestLink)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSystemBrowserRunsBrowserWithExactURL(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "opened.txt")
	script := browserScript(t, dir, out)
	t.Setenv("BROWSER", script)
	u := browserTestURL(t)
	if err := (SystemBrowser{}).OpenURL(u); err != nil {
		t.Fatalf("OpenURL: %v", err)
	}
	if got, want := browserReadWhenWritten(t, out), u.String()+"\n"; got != want {
		t.Errorf("the browser received %q; want exactly %q", got, want)
	}
}

func TestSystemBrowserPercentSTemplate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "opened.txt")
	script := browserScript(t, dir, out)
	t.Setenv("BROWSER", script+" --new-tab %s")
	u := browserTestURL(t)
	if err := (SystemBrowser{}).OpenURL(u); err != nil {
		t.Fatalf("OpenURL: %v", err)
	}
	if got, want := browserReadWhenWritten(t, out), "--new-tab\n"+u.String()+"\n"; got != want {
		t.Errorf("the browser received %q; want %q", got, want)
	}
}

func TestSystemBrowserMissingCommandFallsThrough(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "opened.txt")
	script := browserScript(t, dir, out)
	missing := filepath.Join(dir, "no-such-browser")
	t.Setenv("BROWSER", missing+":connectedapps-no-such-browser-on-path:"+script)
	u := browserTestURL(t)
	if err := (SystemBrowser{}).OpenURL(u); err != nil {
		t.Fatalf("OpenURL: %v", err)
	}
	if got, want := browserReadWhenWritten(t, out), u.String()+"\n"; got != want {
		t.Errorf("the fallback browser received %q; want %q", got, want)
	}
}

func TestSystemBrowserNothingStarts(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("rundll32 is found by absolute path lookup on Windows")
	}
	dir := t.TempDir()
	t.Setenv("PATH", dir) // an empty folder: not even the OS opener can be found
	missing := filepath.Join(dir, "no-such-browser")
	t.Setenv("BROWSER", missing+":other-missing")
	err := (SystemBrowser{}).OpenURL(browserTestURL(t))
	if err == nil {
		t.Fatal("OpenURL succeeded with no browser available")
	}
	msg := err.Error()
	for _, want := range []string{missing, "other-missing", browserOSOpener("")[0], "open the link yourself"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "idp.example.com") {
		t.Errorf("error repeats the link (with its state): %q", msg)
	}
}
