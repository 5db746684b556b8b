//go:build linux && wine

package e2e

// The Windows build under Wine: bin is scripts/wine/connectedapps, which runs
// bin/windows/connectedapps.exe in the private prefix scripts/wine-env made, against the same
// in-process OpenID Provider on loopback (Wine's sockets are the host's) and the same scripted
// browser (this ELF test binary: Wine starts a Unix program handed to CreateProcess). Secrets go
// to the Windows Credential Manager as Wine implements it (go-keyring's wincred backend), which
// keeps them under HKCU\Software\Wine\Credential Manager: the tests read that key with
// `reg query` to see what landed there. `make test-windows` runs these
// (go test -tags wine -run '^TestWine' ./e2e/, through scripts/wine-test); they run one after
// another, since every test's registry is the one %AppData%\connectedapps of the prefix.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wineLimit is the Credential Manager's largest value, CRED_MAX_CREDENTIAL_BLOB_SIZE (5 * 512
// bytes); core/secret splits what is larger.
const wineLimit = 2560

// wineUser is a user whose registry is the prefix's %AppData%\connectedapps, emptied first.
func wineUser(t *testing.T) *user {
	t.Helper()
	for _, v := range []string{"WINE", "WINEPREFIX", "CONNECTEDAPPS_WINE_EXE"} {
		if os.Getenv(v) == "" {
			t.Fatalf("%s is not set: run these tests with `make test-windows` (scripts/wine-test)", v)
		}
	}
	u := newUser(t)
	u.configDir = wineAppData(t)
	if err := os.RemoveAll(filepath.Join(u.configDir, "connectedapps")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(filepath.Join(u.configDir, "connectedapps")) })
	return u
}

// wineAppData is %AppData% of the prefix's user, seen from Linux: Wine names the Windows user
// after the Unix one.
func wineAppData(t *testing.T) string {
	t.Helper()
	name := os.Getenv("USER")
	if name == "" {
		name = "root"
		if os.Getuid() != 0 {
			t.Fatal("USER is not set: Wine names the profile folder after it")
		}
	}
	return filepath.Join(os.Getenv("WINEPREFIX"), "drive_c", "users", name, "AppData", "Roaming")
}

// wine runs a Windows program of the prefix (reg, …) and returns its output.
func wine(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, os.Getenv("WINE"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("wine %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// credentials lists the Credential Manager's entries of connectedapps, target name to the size
// of its value in bytes (Wine keeps each one as a key with a REG_BINARY "Password").
func credentials(t *testing.T) map[string]int {
	t.Helper()
	out := wine(t, "reg", "query", `HKCU\Software\Wine\Credential Manager`, "/s")
	creds := map[string]int{}
	target := ""
	header := regexp.MustCompile(`^HKEY_CURRENT_USER\\Software\\Wine\\Credential Manager\\Generic: (connectedapps:.*)$`)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if m := header.FindStringSubmatch(line); m != nil {
			target = m[1]
			continue
		}
		if strings.HasPrefix(line, "HKEY_") {
			target = ""
			continue
		}
		fields := strings.Fields(line)
		if target != "" && len(fields) >= 2 && fields[0] == "Password" && fields[1] == "REG_BINARY" {
			hex := ""
			if len(fields) > 2 {
				hex = fields[2]
			}
			creds[target] = len(hex) / 2
		}
	}
	return creds
}

// The whole life of an app on Windows: add with discovery, connect through the scripted
// browser, token, refresh, disconnect; the registry in %AppData%, the tokens in the Credential
// Manager, and gone from it after the disconnect.
func TestWineLifecycle(t *testing.T) {
	u := wineUser(t)
	app := u.addNative("Wine OP")
	if app.TokenURI != op.Issuer+"/oauth/token" || app.Issuer != op.Issuer || app.JWKSURI == "" {
		t.Fatalf("discovery did not fill the endpoints: %+v", app)
	}
	if _, err := os.Stat(filepath.Join(u.configDir, "connectedapps", "apps.json")); err != nil {
		t.Fatalf("apps.json is not in %%AppData%%\\connectedapps: %v", err)
	}

	out := u.ok("", "connect", "Wine OP", "--timeout", "60s")
	if !strings.Contains(out, "Connected Wine OP as Test User <test-user@zitadel.ch>") || !strings.Contains(out, "Refresh token: held") {
		t.Fatalf("connect output: %s", out)
	}
	tokensTarget := "connectedapps:" + userTokensKey(app.ID)
	creds := credentials(t)
	if creds[tokensTarget] == 0 {
		t.Fatalf("the tokens are not in the Credential Manager (it holds %v)", creds)
	}
	for target, size := range creds {
		if size > wineLimit {
			t.Errorf("%s holds %d bytes, over the Credential Manager's %d", target, size, wineLimit)
		}
	}

	first := strings.TrimSpace(u.ok("", "token", "Wine OP"))
	var tj struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "token", "Wine OP", "--format", "json")), &tj); err != nil {
		t.Fatal(err)
	}
	if first == "" || tj.AccessToken != first || tj.TokenType != "Bearer" || tj.ExpiresIn < 60 {
		t.Fatalf("token %q, json %+v", first, tj)
	}

	before := op.Refreshes()
	if out := u.ok("", "refresh", "Wine OP"); !strings.HasPrefix(out, "Refreshed Wine OP.") {
		t.Fatalf("refresh: %s", out)
	}
	if got := op.Refreshes() - before; got != 1 {
		t.Fatalf("refresh made %d requests at the provider, want 1", got)
	}
	if second := strings.TrimSpace(u.ok("", "token", "Wine OP")); second == first || second == "" {
		t.Fatalf("the token after refresh is %q (before: %q)", second, first)
	}

	if out := u.ok("", "disconnect", "Wine OP"); !strings.Contains(out, "revoked") {
		t.Fatalf("disconnect: %s", out)
	}
	if _, ok := credentials(t)[tokensTarget]; ok {
		t.Fatal("the tokens are still in the Credential Manager after disconnect")
	}
	u.fails(3, "", []string{"token", "Wine OP"}, "not connected", "connectedapps connect")
	u.ok("", "remove", "Wine OP")
}

// A value above the Credential Manager's 2,560 bytes (a client secret of 6,000) is split into
// pieces of at most 2,560 and joined again: the token endpoint receives it whole.
func TestWineSplitsAValueAboveTheCredentialLimit(t *testing.T) {
	u := wineUser(t)
	big := strings.Repeat("0123456789abcdef", 375) // 6,000 bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
			return
		}
		if r.PostForm.Get("client_id") != "big" || r.PostForm.Get("client_secret") != big {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"the secret has %d bytes"}`, len(r.PostForm.Get("client_secret")))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"the-whole-secret-arrived","token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()

	u.ok(big, "add", "Big", "--token-url", srv.URL+"/token", "--grant", "client_credentials",
		"--client-id", "big", "--client-secret-stdin", "--auth-method", "client_secret_post")
	app := u.show("Big")
	target := "connectedapps:app/" + app.ID + "/client_secret"
	creds := credentials(t)
	index, ok := creds[target]
	if !ok || index == 0 || index > 64 {
		t.Fatalf("%s should hold a short index naming the pieces; the Credential Manager holds %v", target, creds)
	}
	var pieces, total int
	for name, size := range creds {
		if strings.HasPrefix(name, target+"#") && !strings.HasSuffix(name, "#pending") {
			pieces++
			total += size
			if size > wineLimit {
				t.Errorf("piece %s holds %d bytes, over %d", name, size, wineLimit)
			}
		}
	}
	if pieces != 3 || total != len(big) {
		t.Fatalf("the secret is in %d pieces of %d bytes in all; want 3 of %d (entries: %v)", pieces, total, len(big), creds)
	}
	if tok := strings.TrimSpace(u.ok("", "token", "Big")); tok != "the-whole-secret-arrived" {
		t.Fatalf("token: %q", tok)
	}
	u.ok("", "remove", "Big")
	for name := range credentials(t) {
		if strings.HasPrefix(name, target) {
			t.Errorf("%s is left in the Credential Manager after remove", name)
		}
	}
}

// A port another program holds (WSAEADDRINUSE) and a port the system keeps from us (WSAEACCES:
// a port below 1024 without the right to bind it, which scripts/wine-test takes away; on
// Windows, an excluded port range) are each one line naming the port and the next step.
func TestWinePortInUseAndReserved(t *testing.T) {
	u := wineUser(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	u.addNative("Blocked", "--redirect-port", strconv.Itoa(port))
	u.fails(1, "", []string{"connect", "Blocked"}, fmt.Sprintf("port %d on 127.0.0.1 is already in use", port), "--redirect-port")

	if !lacksNetBindService(t) {
		t.Fatal("this process may bind ports below 1024, so no reserved port can be shown: run it through scripts/wine-test, which drops CAP_NET_BIND_SERVICE")
	}
	u.addNative("Reserved", "--redirect-port", "81")
	u.fails(1, "", []string{"connect", "Reserved"}, "port 81 on 127.0.0.1 is reserved by Windows", "excludedportrange", "--redirect-port")
}

// lacksNetBindService says whether CAP_NET_BIND_SERVICE (bit 10) is out of the bounding set.
func lacksNetBindService(t *testing.T) bool {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n&(1<<10) == 0
		}
	}
	t.Fatal("/proc/self/status has no CapBnd line")
	return false
}

// Without $BROWSER the program opens the link with Windows' own opener (rundll32
// url.dll,FileProtocolHandler), which Wine hands to winebrowser and winebrowser to the
// browser named in its settings: here, the scripted browser.
func TestWineOpensTheBrowserWithWindowsOwnOpener(t *testing.T) {
	u := wineUser(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wine(t, "reg", "add", `HKCU\Software\Wine\WineBrowser`, "/v", "Browsers", "/t", "REG_SZ", "/d", self, "/f")
	t.Cleanup(func() {
		wine(t, "reg", "delete", `HKCU\Software\Wine\WineBrowser`, "/v", "Browsers", "/f")
	})
	var env []string
	for _, kv := range u.env {
		if !strings.HasPrefix(kv, "BROWSER=") {
			env = append(env, kv)
		}
	}
	u.env = env
	u.addNative("Opener")
	if out := u.ok("", "connect", "Opener", "--timeout", "60s"); !strings.Contains(out, "Connected Opener as Test User") {
		t.Fatalf("connect output: %s", out)
	}
	u.ok("", "remove", "Opener")
}

// The window opens under Wine on an X display (Xvfb) and paints; its picture is written to
// $CONNECTEDAPPS_SCREENSHOTS_DIR/screenshot-windows.png when that is set (make
// screenshots-windows), else kept with the test's files.
func TestWineWindowOpens(t *testing.T) {
	u := wineUser(t)
	u.addNative("Example OP")
	display := startWineXvfb(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(u.env, "DISPLAY="+display)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()

	var window string
	deadline := time.Now().Add(120 * time.Second)
	for window == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no window named \"Connected Apps\" appeared within 2 minutes; its output:\n%s", logs.String())
		}
		search := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Connected Apps$")
		search.Env = append(os.Environ(), "DISPLAY="+display)
		out, err := search.Output()
		if f := strings.Fields(string(out)); err == nil && len(f) > 0 {
			window = f[0]
		}
		time.Sleep(500 * time.Millisecond)
	}
	dir := os.Getenv("CONNECTEDAPPS_SCREENSHOTS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := filepath.Join(dir, "screenshot-windows.png")
	for {
		// The first paint follows the map: wait until the window shows more than one colour
		// and the app's name, which the list draws, has had time to appear.
		err := exec.Command("import", "-display", display, "-window", window, shot).Run()
		if err == nil && manyColours(shot) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window never painted (import: %v); its output:\n%s", err, logs.String())
		}
		time.Sleep(time.Second)
	}
	time.Sleep(3 * time.Second) // the list fills in after the first frame
	if out, err := exec.Command("import", "-display", display, "-window", window, shot).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v %s", err, out)
	}
	t.Logf("the window under Wine: %s", shot)
}

// startWineXvfb starts an X server of the test's own and returns its display.
func startWineXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w}
	if err := xvfb.Start(); err != nil {
		w.Close()
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { _ = xvfb.Process.Kill(); _ = xvfb.Wait() })
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb named no display: %q", n)
		}
		return ":" + n
	case <-time.After(60 * time.Second):
		t.Fatal("Xvfb named no display within a minute")
	}
	return ""
}
