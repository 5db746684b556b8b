package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's utime and stime: 100 on every Linux
// this runs on (the kernel's ABI fixes it for user space).
const clockTicks = 100

// idleRow measures the CPU the window uses while nobody touches it: ours with 60 apps
// registered, 20 of them connected, and floorwindow, started together on one Xvfb, mapped,
// left 2 s to settle, then utime+stime from /proc/PID/stat over idleSeconds. Started together,
// whatever else the machine does lands on both. The window is visible; idleHiddenRow
// measures it hidden to the tray.
func (b *bench) idleRow() error {
	display, stop, err := startXvfb()
	if err != nil {
		return err
	}
	defer stop()
	envO, dirO := b.env("idleOurs")
	envF, _ := b.env("idleFloor")
	if err := seedApps(filepath.Join(dirO, "connectedapps"), 60); err != nil {
		return err
	}
	envO, envF = append(envO, "DISPLAY="+display), append(envF, "DISPLAY="+display)
	var ours, floor sample
	for range b.o.idleRounds {
		o, f, err := idlePair(envO, b.o.bin, envF, b.o.floorWindow, time.Duration(b.o.idleSeconds)*time.Second)
		if err != nil {
			return err
		}
		ours, floor = append(ours, o), append(floor, f)
	}
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", v) }
	b.add(row{fmt.Sprintf("window visible and idle, 60 apps (20 connected), CPU over %d s (utime+stime) vs floorwindow beside it, %d round(s)", b.o.idleSeconds, b.o.idleRounds),
		pct(ours.median()) + " of a core (" + ours.spread(pct) + ")", pct(floor.median()) + " (" + floor.spread(pct) + ")",
		fmt.Sprintf("%+.2f points", ours.median()-floor.median()), "no more than the floor", verdict(ours.median() <= floor.median()+0.1)})
	return nil
}

// idleHiddenRow measures the window hidden to the tray: the bench's session gets a
// StatusNotifierWatcher (tray.go), so the window offers its tray; it is started with 60 apps
// registered, 20 connected, on its own Xvfb, closed once mapped as a window manager closes a
// window (WM_DELETE_WINDOW), which hides it to the tray, left 5 s, then measured over
// idleSeconds. The process still being there at the end proves it hid rather than quit.
func (b *bench) idleHiddenRow() error {
	stopWatcher, err := startStatusNotifierWatcher()
	if err != nil {
		return err
	}
	defer stopWatcher()
	display, stop, err := startXvfb()
	if err != nil {
		return err
	}
	defer stop()
	xw, err := dialX(display)
	if err != nil {
		return err
	}
	defer xw.Close()
	env, dir := b.env("idleHidden")
	if err := seedApps(filepath.Join(dir, "connectedapps"), 60); err != nil {
		return err
	}
	env = append(env, "DISPLAY="+display)
	envF, _ := b.env("idleHiddenFloor")
	envF = append(envF, "DISPLAY="+display, "FLOORWINDOW_CLOSE_HIDES=1")
	var ours, floor sample
	for i := range 2 * b.o.idleRounds {
		prog, env := b.o.bin, env
		if i%2 == 1 {
			prog, env = b.o.floorWindow, envF
		}
		xw.drain()
		cmd := exec.Command(prog)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			return err
		}
		v, err := func() (float64, error) {
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			var ev mapEvent
			select {
			case ev = <-xw.mapped:
			case <-time.After(30 * time.Second):
				return 0, fmt.Errorf("the window was not mapped within 30 s: %s", &out)
			}
			time.Sleep(2 * time.Second)
			if err := closeXWindow(display, ev.window); err != nil {
				return 0, err
			}
			hidden := false
			for deadline := time.After(5 * time.Second); !hidden; {
				select {
				case u := <-xw.unmapped:
					hidden = u.window == ev.window
				case <-deadline:
					return 0, fmt.Errorf("the window was not unmapped within 5 s of WM_DELETE_WINDOW: %s", &out)
				}
			}
			time.Sleep(5 * time.Second)
			t0, err := cpuTicks(cmd.Process.Pid)
			if err != nil {
				return 0, fmt.Errorf("the window quit when closed instead of hiding to the tray: %v: %s", err, &out)
			}
			start := time.Now()
			time.Sleep(time.Duration(b.o.idleSeconds) * time.Second)
			t1, err := cpuTicks(cmd.Process.Pid)
			if err != nil {
				return 0, fmt.Errorf("the hidden window exited: %v: %s", err, &out)
			}
			return float64(t1-t0) / clockTicks / time.Since(start).Seconds() * 100, nil
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(prog), err)
		}
		if i%2 == 1 {
			floor = append(floor, v)
		} else {
			ours = append(ours, v)
		}
	}
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", v) }
	b.add(row{fmt.Sprintf("window hidden to the tray (a StatusNotifierWatcher on the bus, closed by WM_DELETE_WINDOW), 60 apps (20 connected), CPU over %d s (utime+stime) vs floorwindow hidden the same way, one after the other, %d round(s)", b.o.idleSeconds, b.o.idleRounds),
		pct(ours.median()) + " of a core (" + ours.spread(pct) + ")", pct(floor.median()) + " (" + floor.spread(pct) + ")",
		fmt.Sprintf("%+.2f points", ours.median()-floor.median()), "≤ 0.2% of a core", verdict(ours.median() <= 0.2)})
	return nil
}

// idlePair starts both programs, waits until both are up, lets them settle and returns the
// share of one core each used over d, in percent.
func idlePair(envA []string, progA string, envB []string, progB string, d time.Duration) (float64, float64, error) {
	start := func(env []string, prog string) (*exec.Cmd, *bytes.Buffer, error) {
		cmd := exec.Command(prog)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out, cmd.Start()
	}
	a, outA, err := start(envA, progA)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = a.Process.Kill(); _ = a.Wait() }()
	bc, outB, err := start(envB, progB)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = bc.Process.Kill(); _ = bc.Wait() }()
	// Both have mapped their windows and finished starting well within 5 s on this machine
	// (the window row's start → mapped is about 0.15 s); 5 s leaves the first background
	// refresh pass and the first registry reads behind us.
	time.Sleep(5 * time.Second)
	a0, err := cpuTicks(a.Process.Pid)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v: %s", filepath.Base(progA), err, outA)
	}
	b0, err := cpuTicks(bc.Process.Pid)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v: %s", filepath.Base(progB), err, outB)
	}
	t0 := time.Now()
	time.Sleep(d)
	a1, errA := cpuTicks(a.Process.Pid)
	b1, errB := cpuTicks(bc.Process.Pid)
	el := time.Since(t0).Seconds()
	if errA != nil || errB != nil {
		return 0, 0, fmt.Errorf("a window exited while idle: %v %v: %s %s", errA, errB, outA, outB)
	}
	share := func(t0, t1 int64) float64 { return float64(t1-t0) / clockTicks / el * 100 }
	return share(a0, a1), share(b0, b1), nil
}

// cpuTicks is utime+stime of pid and its threads, from /proc/PID/stat (fields 14 and 15).
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count after it.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return ut + st, nil
}
