//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/png" // screenshots are PNG
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"connectedapps/internal/testkit"
)

// desktop is a headless desktop of a window test's own: an Xvfb display, and a D-Bus session
// (dbus-run-session) holding an unlocked gnome-keyring and a stand-in notification service,
// where the real connectedapps binary runs as the window. Everything lives under one private
// folder (HOME, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME), so nothing of
// the shared test keyring or of the person's own session is reached, and every process it
// starts carries a marker in its environment by which cleanup finds and ends exactly those.
type desktop struct {
	t      *testing.T
	root   string // the private folder
	locale string // the session's LANG
	logs   string // logs of the processes, kept on failure
	// shots are the screenshots taken so far, in order (kept on failure).
	shotDir string
	shots   []string

	display   string // ":N"
	bus       string // DBUS_SESSION_BUS_ADDRESS of the session
	configDir string // XDG_CONFIG_HOME: the registry is configDir/connectedapps/apps.json
	env       []string
	window    string // X window id of the main window, once found

	xvfb, session         *exec.Cmd
	xvfbDone, sessionDone chan struct{}
	conn                  *dbus.Conn // the test's own connection to the session bus

	notifyLog  string // one JSON line per Notify call the stand-in service received
	browserLog string // one line per link the scripted browser was handed, and its outcome
}

// desktopMarkerEnv is set, to the desktop's private folder, on every process the desktop
// starts: cleanup ends the processes whose environment holds it, and only those.
const desktopMarkerEnv = "CONNECTEDAPPS_E2E_DESKTOP"

// refreshTickEnv would set the window's background refresh tick (a Go duration).
const refreshTickEnv = "CONNECTEDAPPS_REFRESH_TICK"

// keepShotsEnv, when set, keeps the screenshots and logs of a passing test too.
const keepShotsEnv = "CONNECTEDAPPS_E2E_KEEP_SHOTS"

// failureDir is where a failed window test leaves its screenshots and logs for a person.
const failureDir = "/tmp/connectedapps-window-failure"

// windowTools are the programs a desktop needs, with the Debian package of each.
var windowTools = [][2]string{
	{"Xvfb", "xvfb"}, {"xdotool", "xdotool"}, {"import", "imagemagick"},
	{"dbus-run-session", "dbus"}, {"dbus-send", "dbus"}, {"gnome-keyring-daemon", "gnome-keyring"}, {"secret-tool", "libsecret-tools"},
}

// startDesktop starts the display and the session (but not the window: see startApp), or
// skips the test when a program it needs is missing. The session's locale is C.UTF-8: the
// window in English.
func startDesktop(t *testing.T) *desktop {
	t.Helper()
	return startDesktopIn(t, "C.UTF-8")
}

// startDesktopIn is startDesktop with the session's LANG set to locale (zh_CN.UTF-8: the
// window in Chinese, as a person whose system is set so sees it).
func startDesktopIn(t *testing.T, locale string) *desktop {
	t.Helper()
	var missing, pkgs []string
	for _, tool := range windowTools {
		if _, err := exec.LookPath(tool[0]); err != nil {
			missing = append(missing, tool[0])
			pkgs = append(pkgs, tool[1])
		}
	}
	if len(missing) > 0 {
		t.Skipf("window tests need %s, which this machine lacks: run `make deps` (it installs %s)",
			strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
	d := &desktop{t: t, root: t.TempDir(), shotDir: t.TempDir(), locale: locale}
	d.logs = filepath.Join(d.root, "logs")
	d.configDir = filepath.Join(d.root, "config")
	d.notifyLog = filepath.Join(d.logs, "notifications.jsonl")
	d.browserLog = filepath.Join(d.logs, "browser.log")
	for _, dir := range []string{"home", "runtime", "config", "data", "cache", "logs"} {
		if err := os.Mkdir(filepath.Join(d.root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Registered before anything starts, so a failure half-way still cleans up; t.TempDir's
	// own removal was registered earlier, so it runs after this (cleanups run last-first).
	t.Cleanup(d.stop)
	d.startXvfb()
	d.startSession()
	return d
}

// deadline is now+d, but never later than shortly before the test binary's own deadline: a
// wait that fails by itself still runs the cleanups, a test binary that panics on -timeout
// does not.
func (d *desktop) deadline(timeout time.Duration) time.Time {
	end := time.Now().Add(timeout)
	if td, ok := d.t.Deadline(); ok && td.Add(-30*time.Second).Before(end) {
		end = td.Add(-30 * time.Second)
	}
	return end
}

// waitFor polls cond until it holds; on timeout it fails the test, naming what it waited
// for and the last error cond gave. It also fails at once if the window's session ended.
func (d *desktop) waitFor(what string, timeout time.Duration, cond func() (bool, error)) {
	d.t.Helper()
	began := time.Now()
	end := d.deadline(timeout)
	gaveUp := fmt.Sprintf("gave up after %s", timeout)
	if end.Before(began.Add(timeout)) {
		gaveUp = fmt.Sprintf("gave up after %s (not %s), to leave time for cleanup before the test binary's -timeout", end.Sub(began).Round(time.Second), timeout)
	}
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if d.sessionDone != nil {
			select {
			case <-d.sessionDone:
				d.t.Fatalf("waiting for %s: the desktop session ended (the app exited?): %s", what, d.tail("session.log"))
			default:
			}
		}
		if time.Now().After(end) {
			if last != nil {
				d.t.Fatalf("waiting for %s: %s: %v", what, gaveUp, last)
			}
			d.t.Fatalf("waiting for %s: %s", what, gaveUp)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// startXvfb starts a display on a free number: Xvfb itself picks it (-displayfd), so two
// tests, or a test and a person's own X server, never race for one.
func (d *desktop) startXvfb() {
	r, w, err := os.Pipe()
	if err != nil {
		d.t.Fatal(err)
	}
	defer r.Close()
	log := d.logFile("xvfb.log")
	defer log.Close()
	d.xvfb = exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	d.xvfb.Stdout, d.xvfb.Stderr = log, log
	d.xvfb.ExtraFiles = []*os.File{w}
	d.xvfb.Env = append(os.Environ(), desktopMarkerEnv+"="+d.root)
	// Should the test binary die without cleaning up (a -timeout panic), the display goes too.
	d.xvfb.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.xvfb.Start(); err != nil {
		w.Close()
		d.t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	d.xvfbDone = make(chan struct{})
	go func() { _ = d.xvfb.Wait(); close(d.xvfbDone) }()

	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if _, err := strconv.Atoi(n); err != nil {
			d.t.Fatalf("Xvfb did not start: %s", d.tail("xvfb.log"))
		}
		d.display = ":" + n
	case <-time.After(time.Until(d.deadline(60 * time.Second))):
		d.t.Fatalf("Xvfb named no display within a minute: %s", d.tail("xvfb.log"))
	}
}

// sessionScript runs inside dbus-run-session. The keyring daemon detaches and outlives the
// script, so its output goes to a file: holding the test's pipes it would keep the test
// waiting for their end. The window starts only when the test says so (the start-app file),
// so a test can first seed the registry and the keyring.
const sessionScript = `
set -eu
d="$CONNECTEDAPPS_E2E_DESKTOP"
printf %s e2e-keyring-password | gnome-keyring-daemon --unlock --components=secrets >"$d/logs/keyring.log" 2>&1
# The daemon claims its bus name just after it detaches: a keyring call before that would
# D-Bus-activate a second daemon, which cannot unlock.
i=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { echo "the session's keyring daemon did not claim org.freedesktop.secrets" >&2; exit 1; }
	sleep 0.1
done
# It creates and unlocks the login collection shortly after.
i=0
until printf x | secret-tool store --label=probe service connectedapps-e2e-probe user probe 2>/dev/null &&
	[ "$(secret-tool lookup service connectedapps-e2e-probe user probe 2>/dev/null)" = x ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { echo "the session's keyring did not come up unlocked" >&2; exit 1; }
	sleep 0.1
done
secret-tool clear service connectedapps-e2e-probe user probe
CONNECTEDAPPS_E2E_HELPER=notifications "$E2E_SELF" >"$d/logs/notifications.log" 2>&1 </dev/null &
echo "$DBUS_SESSION_BUS_ADDRESS" >"$d/bus.tmp"
mv "$d/bus.tmp" "$d/bus"
i=0
until [ -e "$d/start-app" ]; do
	i=$((i + 1))
	[ "$i" -lt 6000 ] || { echo "nobody asked for the window within 10 minutes" >&2; exit 1; }
	sleep 0.1
done
echo $$ >"$d/app.pid"
exec "$E2E_BIN"
`

// startSession starts the D-Bus session with its keyring and notification service, and waits
// until both answer.
func (d *desktop) startSession() {
	self, err := os.Executable()
	if err != nil {
		d.t.Fatal(err)
	}
	env := []string{
		desktopMarkerEnv + "=" + d.root,
		"DISPLAY=" + d.display,
		"HOME=" + filepath.Join(d.root, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(d.root, "runtime"),
		"XDG_CONFIG_HOME=" + d.configDir,
		"XDG_DATA_HOME=" + filepath.Join(d.root, "data"), // gnome-keyring keeps its keyrings here
		"XDG_CACHE_HOME=" + filepath.Join(d.root, "cache"),
		"LANG=" + d.locale,
		// The window opens links with $BROWSER when it is set: the scripted browser (this
		// test binary again), which notes each link and its outcome in browserLog.
		testkit.BrowserLogEnv + "=" + d.browserLog,
		notifyLogEnv + "=" + d.notifyLog,
		// The background refresher's tick (30 s by default), for a window that reads this
		// (not yet: the re-authorization step waits up to one default tick until it does).
		refreshTickEnv + "=2s",
		"E2E_SELF=" + self,
		"E2E_BIN=" + bin,
	}
	env = append(env, testkit.BrowserEnv(self, testkit.ModeLogin, op.Username())...)
	d.env = withEnv(os.Environ(), []string{
		// Whatever display, bus or keyring the test itself has must not be reached.
		"WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "DBUS_STARTER_ADDRESS", "DBUS_STARTER_BUS_TYPE",
		"GNOME_KEYRING_CONTROL", "GNOME_KEYRING_PID", "SSH_AUTH_SOCK", "XDG_CURRENT_DESKTOP", "XDG_SESSION_TYPE",
		"LC_ALL", "LC_MESSAGES", "LANGUAGE", helperModeEnv,
	}, env)

	log := d.logFile("session.log")
	defer log.Close()
	d.session = exec.Command("dbus-run-session", "--", "sh", "-c", sessionScript)
	d.session.Env = d.env
	d.session.Stdout, d.session.Stderr = log, log
	d.session.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.session.Start(); err != nil {
		d.t.Fatalf("starting dbus-run-session: %v", err)
	}
	d.sessionDone = make(chan struct{})
	go func() { _ = d.session.Wait(); close(d.sessionDone) }()

	d.waitFor("the session bus and its unlocked keyring", 90*time.Second, func() (bool, error) {
		b, err := os.ReadFile(filepath.Join(d.root, "bus"))
		if err != nil {
			return false, nil
		}
		d.bus = strings.TrimSpace(string(b))
		return d.bus != "", nil
	})
	d.env = withEnv(d.env, nil, []string{"DBUS_SESSION_BUS_ADDRESS=" + d.bus})

	conn, err := dbus.Connect(d.bus)
	if err != nil {
		d.t.Fatalf("connecting to the session bus %s: %v", d.bus, err)
	}
	d.conn = conn
	d.waitFor("the stand-in notification service on the session bus", 60*time.Second, func() (bool, error) {
		var owned bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.Notifications").Store(&owned)
		if !owned && err == nil {
			err = errors.New(d.tail("notifications.log"))
		}
		return owned, err
	})
	// Prove the stand-in records what it is sent, so a missing notification later is the
	// app's doing.
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	if call := obj.Call("org.freedesktop.Notifications.Notify", 0, "e2e", uint32(0), "", "e2e probe", "",
		[]string{}, map[string]dbus.Variant{}, int32(0)); call.Err != nil {
		d.t.Fatalf("the stand-in notification service refused a Notify: %v", call.Err)
	}
	d.waitFor("the stand-in notification service to record a probe", 10*time.Second, func() (bool, error) {
		return slices.ContainsFunc(d.notifications(), func(n notification) bool { return n.Summary == "e2e probe" }), nil
	})
}

// startApp starts the window in the session and waits until it is shown, painted and has the
// keyboard focus.
func (d *desktop) startApp() {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.root, "start-app"), nil, 0o600); err != nil {
		d.t.Fatal(err)
	}
	d.waitFor(`a visible window named "Connected Apps"`, 90*time.Second, func() (bool, error) {
		out, err := d.xdotoolTry("search", "--onlyvisible", "--name", "^Connected Apps$")
		if err != nil {
			return false, nil // exits 1 while there is none
		}
		d.window = strings.Fields(out)[0]
		return true, nil
	})
	// The first paint follows the map: wait until the window is more than one colour.
	d.waitFor("the window's first paint", 60*time.Second, func() (bool, error) {
		path := filepath.Join(d.root, "paint-probe.png")
		if _, err := d.xdotoolTry("getwindowname", d.window); err != nil {
			return false, err
		}
		if err := exec.Command("import", "-display", d.display, "-window", d.window, path).Run(); err != nil {
			return false, err
		}
		return manyColours(path), nil
	})
	// There is no window manager: give the window the keyboard focus ourselves.
	d.xdotool("windowfocus", "--sync", d.window)
}

func manyColours(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return false
	}
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if img.At(x, y) != first {
				return true
			}
		}
	}
	return false
}

// windowHas says whether at least min pixels of the window are of the colour match accepts:
// a check that the window shows a state, which holds however the layout moves.
func (d *desktop) windowHas(match func(r, g, b uint8) bool, min int) bool {
	path := filepath.Join(d.root, "probe.png")
	if err := exec.Command("import", "-display", d.display, "-window", d.window, path).Run(); err != nil {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return false
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if match(uint8(r>>8), uint8(g>>8), uint8(bl>>8)) {
				if n++; n >= min {
					return true
				}
			}
		}
	}
	return false
}

// isSuccessGreen is the colour of Fyne's success text (widget.SuccessImportance), in the
// dark and the light theme: "Connected · expires in …", "Connected as …".
func isSuccessGreen(r, g, b uint8) bool {
	// The light theme's green is dark (#17692a) so that it reads at 4.5:1 on white.
	return int(g) > 90 && int(g) > int(r)+45 && int(g) > int(b)+35
}

// xdotoolTry runs xdotool on the desktop's display.
func (d *desktop) xdotoolTry(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = d.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("xdotool %s: %v %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func (d *desktop) xdotool(args ...string) string {
	d.t.Helper()
	out, err := d.xdotoolTry(args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// key presses keys (xdotool names: "ctrl+n", "Tab", "shift+Tab", "space", "Return") one
// after another, as a person would. The window must have the focus (startApp gives it).
func (d *desktop) key(keys ...string) {
	d.t.Helper()
	d.xdotool(append([]string{"key", "--delay", "80"}, keys...)...)
}

// typeText types s into the focused field.
func (d *desktop) typeText(s string) {
	d.t.Helper()
	d.xdotool("type", "--delay", "30", "--", s)
}

// shot saves a screenshot of the window (of the whole screen before there is one) into the
// test's screenshot folder, numbered in order, and returns its path.
func (d *desktop) shot(name string) string {
	d.t.Helper()
	path := filepath.Join(d.shotDir, fmt.Sprintf("%02d-%s.png", len(d.shots)+1, unsafeName.ReplaceAllString(name, "_")))
	target := "root"
	if d.window != "" {
		target = d.window
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "import", "-display", d.display, "-window", target, path).CombinedOutput(); err != nil {
		d.t.Logf("screenshot %s: %v %s", name, err, out)
		return ""
	}
	d.shots = append(d.shots, path)
	return path
}

// cli runs a connectedapps command in the session (its registry, its bus, its keyring) and
// returns its stdout; it fails the test unless the command succeeds.
func (d *desktop) cli(args ...string) string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = d.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		d.t.Fatalf("connectedapps %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// helper runs this test binary in a helper mode inside the session (see helpers_linux_test.go).
func (d *desktop) helper(stdin string, mode string, args ...string) string {
	d.t.Helper()
	self, err := os.Executable()
	if err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = withEnv(d.env, nil, []string{helperModeEnv + "=" + mode})
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		d.t.Fatalf("helper %s %v: %v %s", mode, args, err, errb.String())
	}
	return out.String()
}

// keyringGet and keyringSet read and write the session's keyring, as the app sees it.
func (d *desktop) keyringGet(key string) string {
	d.t.Helper()
	return d.helper("", "keyring-get", key)
}
func (d *desktop) keyringSet(key, value string) {
	d.t.Helper()
	d.helper(value, "keyring-set", key)
}

// notifications are the Notify calls the stand-in service has recorded so far.
func (d *desktop) notifications() []notification {
	data, err := os.ReadFile(d.notifyLog)
	if err != nil {
		return nil
	}
	var out []notification
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var n notification
		if line != "" && json.Unmarshal([]byte(line), &n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// browserEvents are the scripted browser's notes: "opened URL", "finished URL", "failed ERR".
func (d *desktop) browserEvents() []string {
	data, err := os.ReadFile(d.browserLog)
	if err != nil {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func (d *desktop) logFile(name string) *os.File {
	f, err := os.OpenFile(filepath.Join(d.logs, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	return f
}

// tail is the end of one of the desktop's logs, for a failure message.
func (d *desktop) tail(name string) string {
	data, _ := os.ReadFile(filepath.Join(d.logs, name))
	const max = 3000
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return fmt.Sprintf("\n--- %s ---\n%s", name, data)
}

// stop ends everything the desktop started, and on failure keeps the screenshots and logs.
func (d *desktop) stop() {
	if d.t.Failed() || os.Getenv(keepShotsEnv) != "" {
		d.keepEvidence()
	}
	if d.conn != nil {
		d.conn.Close()
	}
	// The window first: its session (dbus-run-session) then ends by itself and stops its bus.
	if b, err := os.ReadFile(filepath.Join(d.root, "app.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && d.marked(pid) {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	if d.session != nil {
		select {
		case <-d.sessionDone:
		case <-time.After(10 * time.Second):
			_ = d.session.Process.Kill()
			<-d.sessionDone
		}
	}
	// Then whatever the session left behind: the keyring daemon (it detaches), the stand-in
	// notification service, a browser still running.
	d.sweep()
	if d.xvfb != nil {
		_ = d.xvfb.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.xvfbDone:
		case <-time.After(10 * time.Second):
			_ = d.xvfb.Process.Kill()
			<-d.xvfbDone
		}
	}
}

// marked says whether process pid carries this desktop's marker.
func (d *desktop) marked(pid int) bool {
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	marker := desktopMarkerEnv + "=" + d.root
	return slices.ContainsFunc(bytes.Split(env, []byte{0}), func(kv []byte) bool { return string(kv) == marker })
}

// sweep ends the processes carrying this desktop's marker: SIGTERM, then SIGKILL for those
// still there after a few seconds.
func (d *desktop) sweep() {
	list := func() []int {
		entries, _ := os.ReadDir("/proc")
		var pids []int
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			if d.marked(pid) {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	pids := list()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	end := time.Now().Add(5 * time.Second)
	for len(pids) > 0 && time.Now().Before(end) {
		time.Sleep(100 * time.Millisecond)
		pids = list()
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// keepEvidence takes a last screenshot and copies the screenshots and logs to failureDir,
// naming them in the test log, so a person can see where the window stood.
func (d *desktop) keepEvidence() {
	if d.display != "" && d.t.Failed() {
		d.shot("at-failure")
	}
	dest := filepath.Join(failureDir, unsafeName.ReplaceAllString(d.t.Name(), "_"))
	_ = os.RemoveAll(dest)
	if err := os.MkdirAll(dest, 0o755); err != nil {
		d.t.Logf("keeping the screenshots: %v", err)
		return
	}
	var kept []string
	files := append([]string{}, d.shots...)
	logs, _ := filepath.Glob(filepath.Join(d.logs, "*"))
	files = append(files, logs...)
	files = append(files, filepath.Join(d.configDir, "connectedapps", "apps.json"))
	for _, src := range files {
		data, err := os.ReadFile(src)
		if err != nil {
			continue
		}
		to := filepath.Join(dest, filepath.Base(src))
		if err := os.WriteFile(to, data, 0o644); err == nil {
			kept = append(kept, to)
		}
	}
	d.t.Logf("the window's screenshots and logs are kept for you in %s:\n  %s", dest, strings.Join(kept, "\n  "))
	d.t.Log(d.tail("session.log"))
}

// withEnv returns env without the variables named in drop or set in set, then set appended.
func withEnv(env []string, drop []string, set []string) []string {
	skip := map[string]bool{}
	for _, k := range drop {
		skip[k] = true
	}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		skip[k] = true
	}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !skip[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}
