// Command perf measures connectedapps against the physical floor, side by side in one run:
// each of our programs and its floor run in alternation, so noise from other work on the
// machine lands on both. It prints a Markdown table of medians, spreads (p25–p75) and the
// median of the pair-by-pair ratios. `make bench` runs it inside a private D-Bus session
// with a real, unlocked gnome-keyring (scripts/with-test-keyring) and its own Xvfb.
//
//	go run ./bench/perf -bin bin/connectedapps -floorconnect F -floorwindow W [-only token,agent,connect,refresh,window,idle]
//
// It also plays the browser: connectedapps and floorconnect open $BROWSER, which points back
// at this program.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"connectedapps/internal/testkit"
)

type options struct {
	bin, floorConnect, floorWindow string
	tokenRounds, connectRounds     int
	refreshRounds, windowRounds    int
	concurrent                     int
	windowApps, tokenApps          int
	idleSeconds, idleRounds        int
}

func main() {
	testkit.ActAsBrowser(nil) // when connectedapps or floorconnect opened a link with us
	var o options
	flag.StringVar(&o.bin, "bin", "bin/connectedapps", "the connectedapps binary")
	flag.StringVar(&o.floorConnect, "floorconnect", "bin/bench/floorconnect", "the connect floor (bench/floorconnect)")
	flag.StringVar(&o.floorWindow, "floorwindow", "bin/bench/floorwindow", "the window floor (bench/floorwindow)")
	flag.IntVar(&o.tokenRounds, "token-rounds", 300, "pairs of `token` and `secret-tool lookup` runs")
	flag.IntVar(&o.connectRounds, "connect-rounds", 30, "pairs of connect and floor connect runs")
	flag.IntVar(&o.refreshRounds, "refresh-rounds", 5, "rounds of concurrent token calls on an expired token")
	flag.IntVar(&o.concurrent, "concurrent", 50, "token processes started at once in each refresh round")
	flag.IntVar(&o.windowRounds, "window-rounds", 20, "rounds of the three window programs")
	flag.IntVar(&o.windowApps, "window-apps", 1000, "registered apps in the larger window case")
	flag.IntVar(&o.tokenApps, "token-apps", 1000, "registered apps in the larger token case (0: skip it)")
	flag.IntVar(&o.idleSeconds, "idle-seconds", 60, "how long the idle window row measures each round")
	flag.IntVar(&o.idleRounds, "idle-rounds", 1, "rounds of the idle window row")
	only := flag.String("only", "token,agent,connect,refresh,window,idle,idle-hidden", "comma-separated rows to measure")
	serve := flag.Duration("serve", 0, "only start the provider and print the environment to reach it, for this long (to investigate by hand)")
	flag.Parse()
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		fmt.Fprintln(os.Stderr, "perf: run inside scripts/with-test-keyring (a private, unlocked keyring), as `make bench` does")
		os.Exit(2)
	}
	b, err := newBench(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
	defer b.close()
	if *serve > 0 {
		_, dir := b.env("serve")
		fmt.Printf("issuer: %s\nexport XDG_CONFIG_HOME=%s\n", b.op.Issuer, dir)
		for _, kv := range testkit.BrowserEnv(b.self, testkit.ModeLogin, b.op.Username()) {
			fmt.Printf("export %s\n", kv)
		}
		time.Sleep(*serve)
		return
	}
	failed := false
	for _, row := range strings.Split(*only, ",") {
		var err error
		switch strings.TrimSpace(row) {
		case "token":
			err = b.tokenRow()
		case "agent":
			err = b.agentRow()
		case "idle-hidden":
			err = b.idleHiddenRow()
		case "connect":
			err = b.connectRow()
		case "refresh":
			err = b.refreshRow()
		case "window":
			err = b.windowRow()
		case "idle":
			err = b.idleRow()
		default:
			err = fmt.Errorf("unknown row %q", row)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "perf: %s: %v\n", row, err)
			failed = true
		}
	}
	b.print(os.Stdout)
	if failed {
		os.Exit(1)
	}
}
