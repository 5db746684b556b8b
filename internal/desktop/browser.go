package desktop

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// SystemBrowser opens a URL in the person's browser: it satisfies core.Browser, and is the one
// the command line (and the window, when $BROWSER is set) gives the service. It honours $BROWSER (a colon-separated list of commands, "%s" standing for the
// URL, as xdg-utils and Python's webbrowser read it), else the OS opener.
type SystemBrowser struct{}

func (SystemBrowser) OpenURL(u *url.URL) error {
	var tried []string
	for _, cmd := range browserCommands(os.Getenv("BROWSER"), u.String()) {
		c := exec.Command(cmd[0], cmd[1:]...)
		// The browser's own chatter must not reach our stdout or stderr.
		c.Stdin, c.Stdout, c.Stderr = nil, nil, nil
		// main took the passphrase out of the environment already; this holds even for a
		// caller that did not (a test, another front end).
		c.Env = WithoutSecretEnv(os.Environ())
		if err := c.Start(); err != nil {
			tried = append(tried, cmd[0])
			continue
		}
		go func() { _ = c.Wait() }() // reap it; a real browser may run for hours
		return nil
	}
	return fmt.Errorf("no browser could be started (tried %s): open the link yourself", strings.Join(tried, ", "))
}

func browserCommands(envBrowser, link string) [][]string {
	var cmds [][]string
	for _, entry := range strings.Split(envBrowser, ":") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		replaced := false
		for i, f := range fields {
			if strings.Contains(f, "%s") {
				fields[i] = strings.ReplaceAll(f, "%s", link)
				replaced = true
			}
		}
		if !replaced {
			fields = append(fields, link)
		}
		cmds = append(cmds, fields)
	}
	switch runtime.GOOS {
	case "darwin":
		cmds = append(cmds, []string{"open", link})
	case "windows":
		cmds = append(cmds, []string{"rundll32", "url.dll,FileProtocolHandler", link})
	default:
		cmds = append(cmds, []string{"xdg-open", link})
	}
	return cmds
}
