package main

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/internal/testkit"
)

// floorEntry puts a random value of size bytes into the keyring as the floor's entry, the
// same size as the stored tokens so secret-tool reads as much as connectedapps does; lookup
// is secret-tool's arguments to read it (value, to check it did), cleanup deletes it.
func floorEntry(size int) (value string, lookup []string, cleanup func(), err error) {
	random := make([]byte, size/2+1)
	_, _ = rand.Read(random)
	value = hex.EncodeToString(random)[:size]
	if err := secret.NewSystemStore().Set("bench/floor", value); err != nil {
		return "", nil, nil, err
	}
	return value, []string{"lookup", "service", secret.KeyringService, "username", "bench/floor"},
		func() { _ = secret.NewSystemStore().Delete("bench/floor") }, nil
}

// tokenRow: `connectedapps token NAME` with a cached valid token against `secret-tool lookup`
// of an entry of the same size in the same keyring.
func (b *bench) tokenRow() error {
	env, dir := b.env("token")
	id, err := b.connectedApp(env, "Bench")
	if err != nil {
		return err
	}
	ts, raw, err := storedTokens(id)
	if err != nil {
		return err
	}
	floor, lookup, cleanup, err := floorEntry(len(raw))
	if err != nil {
		return err
	}
	defer cleanup()

	got, err := output(env, b.o.bin, "token", "Bench")
	if err != nil {
		return err
	}
	if got != ts["access_token"].(string)+"\n" {
		return fmt.Errorf("token printed %q, not the stored access token", got)
	}
	if got, err := output(env, "secret-tool", lookup...); err != nil || got != floor {
		return fmt.Errorf("secret-tool lookup: %v (got %d bytes, want %d)", err, len(got), len(floor))
	}
	if err := b.countTokenReads(env); err != nil {
		return err
	}

	ours := func() (float64, error) { return run(env, nil, b.o.bin, "token", "Bench") }
	st := func() (float64, error) { return run(env, nil, "secret-tool", lookup...) }
	startOnly := func() (float64, error) { return run(env, nil, b.o.bin, "--version") }
	// The window's program, beside bin: it links Fyne, whose init every command paid for
	// while the two were one binary.
	window := filepath.Join(filepath.Dir(b.o.bin), "connectedapps-window")
	windowStart := func() (float64, error) { return run(env, nil, window, "--version") }
	if _, err := interleave(10, ours, st, startOnly, windowStart); err != nil { // warm the caches
		return err
	}
	s, err := interleave(b.o.tokenRounds, ours, st, startOnly, windowStart)
	if err != nil {
		return err
	}
	r := ratios(s[0], s[1])
	b.add(row{fmt.Sprintf("`token` (cached, %d-byte record, no agent) vs `secret-tool lookup` (same size), %d pairs", len(raw), b.o.tokenRounds),
		ms(s[0].median()) + " (" + s[0].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(r.median()) + " (" + r.spread(x) + ")", "≤ 0.6×", verdict(r.median() <= 0.6)})
	rs := ratios(s[2], s[1])
	b.add(row{"  of which start-up: `connectedapps --version` (no keyring, no registry) vs `secret-tool lookup`",
		ms(s[2].median()) + " (" + s[2].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(rs.median()) + " (" + rs.spread(x) + ")", "", ""})
	rw := ratios(s[3], s[1])
	b.add(row{"  beside it: `connectedapps-window --version` (Fyne linked: the start-up every command had before the split) vs `secret-tool lookup`",
		ms(s[3].median()) + " (" + s[3].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(rw.median()) + " (" + rw.spread(x) + ")", "", ""})
	if b.o.tokenApps <= 1 {
		return nil
	}
	// The same with a large registry: `token` reads all of apps.json, hashes it and decodes the
	// one app apps.index places (core/registry's index.go), instead of parsing all of it.
	if err := seedApps(filepath.Join(dir, "connectedapps"), b.o.tokenApps-1); err != nil {
		return err
	}
	s, err = interleave(b.o.tokenRounds/3, ours, st)
	if err != nil {
		return err
	}
	r = ratios(s[0], s[1])
	b.add(row{fmt.Sprintf("`token` (cached) with %d apps registered vs `secret-tool lookup`, %d pairs", b.o.tokenApps, b.o.tokenRounds/3),
		ms(s[0].median()) + " (" + s[0].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(r.median()) + " (" + r.spread(x) + ")", "≤ 0.7×", verdict(r.median() <= 0.7)})
	return nil
}

// countTokenReads proves the cached token path: one keyring secret read (counted on the
// session bus with dbus-monitor) and one read of apps.json (counted with strace).
func (b *bench) countTokenReads(env []string) error {
	calls, err := secretServiceCalls(func() error {
		_, err := run(env, nil, b.o.bin, "token", "Bench")
		return err
	})
	if err != nil {
		return err
	}
	var list []string
	for _, m := range []string{"OpenSession", "ReadAlias", "SearchItems", "Unlock", "GetSecret", "GetSecrets", "CreateItem", "SetSecret", "Delete"} {
		if calls[m] > 0 {
			list = append(list, fmt.Sprintf("%s %d", m, calls[m]))
		}
	}
	reads := calls["GetSecret"] + calls["GetSecrets"]
	writes := calls["CreateItem"] + calls["SetSecret"] + calls["Delete"]
	b.note("`token` (cached) on the session bus: %s → %d secret read(s), %d write(s) (dbus-monitor)", strings.Join(list, ", "), reads, writes)
	if reads != 1 || writes != 0 {
		return fmt.Errorf("the cached token path made %d keyring reads and %d writes, want 1 and 0", reads, writes)
	}
	if _, err := exec.LookPath("strace"); err != nil {
		b.note("strace is missing: the registry reads were not counted")
		return nil
	}
	trace := filepath.Join(b.workDir, "token.strace")
	args := append([]string{"-f", "-qq", "-e", "trace=openat,open", "-o", trace, b.o.bin}, "token", "Bench")
	if _, err := run(env, nil, "strace", args...); err != nil {
		return err
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		return err
	}
	var opened []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "/connectedapps/") && !strings.Contains(line, "ENOENT") {
			if i := strings.Index(line, "/connectedapps/"); i >= 0 {
				name := line[i+len("/connectedapps/"):]
				if j := strings.IndexByte(name, '"'); j >= 0 {
					name = name[:j]
				}
				opened = append(opened, name)
			}
		}
	}
	registryOpens := 0
	for _, n := range opened {
		if n == "apps.json" {
			registryOpens++
		}
	}
	b.note("`token` (cached) opened in the registry folder: %s → apps.json read %d time(s) (strace)", strings.Join(opened, ", "), registryOpens)
	if registryOpens != 1 {
		return fmt.Errorf("the cached token path opened apps.json %d times, want 1", registryOpens)
	}
	return nil
}

// secretServiceCalls counts the Secret Service method calls made on the session bus while f runs.
func secretServiceCalls(f func() error) (map[string]int, error) {
	mon := exec.Command("dbus-monitor", "--session",
		"type='method_call',interface='org.freedesktop.Secret.Service'",
		"type='method_call',interface='org.freedesktop.Secret.Item'",
		"type='method_call',interface='org.freedesktop.Secret.Collection'")
	out, err := mon.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := mon.Start(); err != nil {
		return nil, fmt.Errorf("dbus-monitor: %w", err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select { // it prints its own NameAcquired signal once it is listening
	case <-lines:
	case <-time.After(5 * time.Second):
		_ = mon.Process.Kill()
		return nil, fmt.Errorf("dbus-monitor did not start")
	}
	ferr := f()
	time.Sleep(300 * time.Millisecond)
	_ = mon.Process.Signal(syscall.SIGTERM)
	calls := map[string]int{}
	for l := range lines {
		if i := strings.Index(l, "member="); i >= 0 && strings.HasPrefix(l, "method call") {
			calls[strings.Fields(l[i+len("member="):])[0]]++
		}
	}
	_ = mon.Wait()
	return calls, ferr
}

// connectRow: a whole connect with the scripted browser against the floor program.
func (b *bench) connectRow() error {
	env, _ := b.env("connect")
	if _, err := b.connectedApp(env, "Connect"); err != nil {
		return err
	}
	defer secret.NewSystemStore().Delete("bench/floorconnect")
	ours := func() (float64, error) { return run(env, nil, b.o.bin, "connect", "Connect") }
	floor := func() (float64, error) {
		return run(env, nil, b.o.floorConnect, "-issuer", b.op.Issuer, "-client-id", testkit.NativeClientID, "-scope", scopes)
	}
	if _, err := interleave(2, ours, floor); err != nil {
		return err
	}
	s, err := interleave(b.o.connectRounds, ours, floor)
	if err != nil {
		return err
	}
	r := ratios(s[0], s[1])
	b.add(row{fmt.Sprintf("`connect` (scripted browser, real provider) vs floorconnect (same libraries, same steps), %d pairs", b.o.connectRounds),
		ms(s[0].median()) + " (" + s[0].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(r.median()) + " (" + r.spread(x) + ")", "≤ 1.2×", verdict(r.median() <= 1.2)})
	return nil
}

// refreshRow: N processes at once ask for the token of an app whose token has expired; the
// refresh token rotates at every refresh. Exactly one refresh may reach the provider.
func (b *bench) refreshRow() error {
	for _, mode := range []string{"", "agent", "agent killed"} {
		if err := b.refreshRowWith(mode); err != nil {
			return fmt.Errorf("%s: %w", cmp.Or(mode, "no agent"), err)
		}
	}
	return nil
}

// refreshRowWith is the refresh row without an agent (mode ""), with `connectedapps agent`
// serving ("agent"), or with the agent SIGKILLed while its refresh is on the way to the
// provider ("agent killed": the provider holds that refresh back 300 ms, and drops it
// unseen once the agent is gone; every `token` then does the work itself).
func (b *bench) refreshRowWith(mode string) error {
	env, dir := b.env("refresh" + strings.ReplaceAll(mode, " ", "-"))
	id, err := b.connectedApp(env, "Busy")
	if err != nil {
		return err
	}
	var stopAgent func()
	var agentCmd *exec.Cmd
	startAgent := func() error {
		if mode == "" {
			return nil
		}
		if stopAgent != nil {
			stopAgent()
		}
		agentCmd, stopAgent, err = b.startAgent(env)
		return err
	}
	if err := startAgent(); err != nil {
		return err
	}
	defer func() {
		if stopAgent != nil {
			stopAgent()
		}
	}()
	n := b.o.concurrent
	burst := func() (wall float64, failures int, distinct int, err error) {
		outs := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range n {
			wg.Go(func() {
				var out bytes.Buffer
				_, errs[i] = run(env, &out, b.o.bin, "token", "Busy")
				outs[i] = out.String()
			})
		}
		wg.Wait()
		wall = msOf(time.Since(start))
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil || outs[i] == "" {
				failures++
				if err == nil {
					err = errs[i]
				}
				continue
			}
			seen[outs[i]] = true
		}
		return wall, failures, len(seen), err
	}
	var expired, valid sample
	var refreshes []int64
	totalFailures := 0
	for range b.o.refreshRounds {
		if err := expireStoredToken(id); err != nil {
			return err
		}
		if err := touchRegistry(dir); err != nil {
			return err
		}
		before, arrived := b.op.Refreshes(), b.op.RefreshesArrived()
		killed := make(chan struct{})
		if mode == "agent killed" {
			b.op.DelayNextRefresh(300 * time.Millisecond)
			go func() {
				defer close(killed)
				for deadline := time.Now().Add(20 * time.Second); b.op.RefreshesArrived() == arrived && time.Now().Before(deadline); {
					time.Sleep(2 * time.Millisecond)
				}
				_ = agentCmd.Process.Signal(syscall.SIGKILL)
			}()
		} else {
			close(killed)
		}
		wall, failures, distinct, ferr := burst()
		<-killed
		b.op.DelayNextRefresh(0)
		if mode == "agent killed" {
			if err := startAgent(); err != nil { // the next agent, over the dead one's socket
				return err
			}
		}
		got := b.op.Refreshes() - before
		refreshes = append(refreshes, got)
		totalFailures += failures
		if ferr != nil {
			b.note("a failed `token` call: %v", ferr)
		}
		if distinct > 1 {
			b.note("the %d processes printed %d different tokens", n, distinct)
		}
		expired = append(expired, wall)
		// The same burst on the now valid token: the cost of the refresh and its lock.
		wall, failures, _, ferr = burst()
		totalFailures += failures
		if ferr != nil {
			b.note("a failed `token` call: %v", ferr)
		}
		valid = append(valid, wall)
	}
	allOne := true
	for _, r := range refreshes {
		allOne = allOne && r == 1
	}
	r := ratios(expired, valid)
	how := ""
	switch mode {
	case "agent":
		how = ", through `connectedapps agent`"
	case "agent killed":
		how = ", the agent SIGKILLed while its refresh is on the way"
	}
	b.add(row{fmt.Sprintf("%d concurrent `token` on an expired token (rotating refresh token)%s, %d rounds: refreshes at the provider per round %v, failures %d; wall time vs the same %d on a valid token",
		n, how, b.o.refreshRounds, refreshes, totalFailures, n),
		ms(expired.median()) + " (" + expired.spread(ms) + ")", ms(valid.median()) + " (" + valid.spread(ms) + ")",
		x(r.median()) + " (" + r.spread(x) + ")", "1 refresh, 0 failures", verdict(allOne && totalFailures == 0)})
	return nil
}

// windowRow: start to MapNotify, and RSS two seconds after, for our window with 0 and with
// N apps and for the minimal Fyne window, in rotation on a private Xvfb.
func (b *bench) windowRow() error {
	display, stop, err := startXvfb()
	if err != nil {
		return err
	}
	defer stop()
	xw, err := dialX(display)
	if err != nil {
		return fmt.Errorf("connecting to Xvfb %s: %w", display, err)
	}
	defer xw.Close()

	env0, _ := b.env("window0")
	envN, dirN := b.env("windowN")
	envF, _ := b.env("windowFloor")
	if err := seedApps(filepath.Join(dirN, "connectedapps"), b.o.windowApps); err != nil {
		return err
	}
	withDisplay := func(env []string) []string { return append(env, "DISPLAY="+display) }
	env0, envN, envF = withDisplay(env0), withDisplay(envN), withDisplay(envF)

	var rss [3]sample
	launch := func(k int, env []string, prog string) func() (float64, error) {
		return func() (float64, error) {
			t, m, err := timeToMap(xw, env, prog)
			if err == nil {
				rss[k] = append(rss[k], m)
			}
			return t, err
		}
	}
	progs := []func() (float64, error){launch(0, env0, b.o.bin), launch(1, envN, b.o.bin), launch(2, envF, b.o.floorWindow)}
	if _, err := interleave(1, progs...); err != nil { // first runs create the preferences files
		return err
	}
	rss = [3]sample{}
	s, err := interleave(b.o.windowRounds, progs...)
	if err != nil {
		return err
	}
	for k, name := range []string{"0 apps", fmt.Sprintf("%d apps", b.o.windowApps)} {
		rt := ratios(s[k], s[2])
		b.add(row{fmt.Sprintf("window, %s: start → mapped (X MapNotify) vs floorwindow, %d rounds", name, b.o.windowRounds),
			ms(s[k].median()) + " (" + s[k].spread(ms) + ")", ms(s[2].median()) + " (" + s[2].spread(ms) + ")",
			x(rt.median()) + " (" + rt.spread(x) + ")", "≤ 1.3×", verdict(rt.median() <= 1.3)})
		b.note("window, %s: fastest start → mapped %s, floorwindow's fastest %s (%.2f×): noise on the machine only ever adds time", name, ms(s[k].quantile(0)), ms(s[2].quantile(0)), s[k].quantile(0)/s[2].quantile(0))
		rm := ratios(rss[k], rss[2])
		b.add(row{fmt.Sprintf("window, %s: RSS 2 s after mapping vs floorwindow", name),
			mib(rss[k].median()) + " (" + rss[k].spread(mib) + ")", mib(rss[2].median()) + " (" + rss[2].spread(mib) + ")",
			x(rm.median()) + " (" + rm.spread(x) + ")", "≤ 1.25×", verdict(rm.median() <= 1.25)})
	}
	return nil
}

// timeToMap starts prog, waits for its window's MapNotify, reads its RSS two seconds later
// and kills it.
func timeToMap(xw *xWatch, env []string, prog string) (float64, float64, error) {
	xw.drain()
	cmd := exec.Command(prog)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	var ev mapEvent
	select {
	case ev = <-xw.mapped:
	case err := <-exited:
		return 0, 0, fmt.Errorf("%s exited before mapping a window: %v: %s", filepath.Base(prog), err, out.String())
	case <-time.After(60 * time.Second):
		stop()
		return 0, 0, errNoMap
	}
	t := msOf(ev.at.Sub(start))
	time.Sleep(2 * time.Second)
	m, err := rssMiB(cmd.Process.Pid)
	stop()
	return t, m, err
}

func rssMiB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), "%f kB", &kb); err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// startXvfb starts a private X server on the first free display from :90.
func startXvfb() (string, func(), error) {
	for n := 90; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
		if err := cmd.Start(); err != nil {
			return "", nil, fmt.Errorf("starting Xvfb: %w (run `make deps`)", err)
		}
		stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
		for range 100 {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				if xw, err := dialX(display); err == nil {
					xw.Close()
					return display, stop, nil
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		stop()
	}
	return "", nil, fmt.Errorf("no free X display between :90 and :199")
}

// seedApps writes n registered apps, a third of them connected, into the registry in dir.
func seedApps(dir string, n int) error {
	svc, err := core.NewService(core.Config{Dir: dir, Secrets: secret.NewMemoryStore()})
	if err != nil {
		return err
	}
	exp := time.Now().Add(24 * time.Hour).UTC()
	return svc.Registry.Update(func(apps []core.App) ([]core.App, error) {
		for i := range n {
			a := core.NewApp(fmt.Sprintf("App %04d", i))
			a.ClientID = fmt.Sprintf("client-%04d.apps.example.com", i)
			a.AuthorizationURI, a.TokenURI = "https://login.example.com/oauth2/auth", "https://login.example.com/oauth2/token"
			a.Scopes = []string{"openid", "email", "profile"}
			if i%3 == 0 {
				a.SetConnection(&core.Connection{State: core.StateConnected, ExpiresAt: &exp, Email: fmt.Sprintf("user%04d@example.com", i),
					HasRefreshToken: true, ConnectedAt: time.Now().UTC()})
			}
			apps = append(apps, a)
		}
		return apps, nil
	})
}
