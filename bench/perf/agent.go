package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"connectedapps/core/agent"
)

const passphraseEnv = "CONNECTEDAPPS_PASSPHRASE"

// startAgent runs `connectedapps agent` in env until stop (or a SIGKILL by the caller), once
// it says it serves.
func (b *bench) startAgent(env []string) (cmd *exec.Cmd, stop func(), err error) {
	cmd = exec.Command(b.o.bin, "agent")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		said := ""
		for sc.Scan() {
			said += sc.Text() + "\n"
			if strings.Contains(sc.Text(), "agent: serving") {
				ready <- nil
				for sc.Scan() { // keep draining: a full pipe would stop the agent
				}
				return
			}
		}
		ready <- fmt.Errorf("connectedapps agent ended: %s", strings.TrimSpace(said))
	}()
	select {
	case err := <-ready:
		if err != nil {
			stop()
			return nil, nil, err
		}
	case <-time.After(20 * time.Second):
		stop()
		return nil, nil, fmt.Errorf("connectedapps agent did not start serving in 20 s")
	}
	return cmd, stop, nil
}

// touchRegistry tells an agent that the keyring was rewritten behind its back (as every real
// refresh does, by writing apps.json).
func touchRegistry(dir string) error {
	now := time.Now()
	return os.Chtimes(filepath.Join(dir, "connectedapps", "apps.json"), now, now)
}

// agentRow: `token` answered by `connectedapps agent` against `secret-tool lookup`, with the
// system keyring and with the encrypted vault (whose key the agent derived once).
func (b *bench) agentRow() error {
	if _, _, err := agent.Paths(b.workDir); err != nil {
		return fmt.Errorf("no agent can run here: %v", err)
	}
	env, _ := b.env("agent")
	id, err := b.connectedApp(env, "Bench")
	if err != nil {
		return err
	}
	_, raw, err := storedTokens(id)
	if err != nil {
		return err
	}
	_, lookup, cleanup, err := floorEntry(len(raw))
	if err != nil {
		return err
	}
	defer cleanup()
	st := func() (float64, error) { return run(env, nil, "secret-tool", lookup...) }

	_, stop, err := b.startAgent(env)
	if err != nil {
		return err
	}
	want, err := output(env, b.o.bin, "token", "Bench")
	if err != nil {
		stop()
		return err
	}
	// Shown, not assumed: with the session bus out of reach only the agent can answer.
	noBus := append(append([]string{}, env...), "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus", "CONNECTEDAPPS_KEYRING_TIMEOUT=1s")
	if got, err := output(noBus, b.o.bin, "token", "Bench"); err != nil || got != want {
		stop()
		return fmt.Errorf("token without the session bus did not come from the agent: %v", err)
	}
	viaAgent := func() (float64, error) { return run(env, nil, b.o.bin, "token", "Bench") }
	startOnly := func() (float64, error) { return run(env, nil, b.o.bin, "--version") }
	if _, err := interleave(10, viaAgent, st, startOnly); err != nil {
		stop()
		return err
	}
	s, err := interleave(b.o.tokenRounds, viaAgent, st, startOnly)
	if err != nil {
		stop()
		return err
	}
	r := ratios(s[0], s[1])
	b.add(row{fmt.Sprintf("`token` (cached) through `connectedapps agent` vs `secret-tool lookup`, %d pairs", b.o.tokenRounds),
		ms(s[0].median()) + " (" + s[0].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(r.median()) + " (" + r.spread(x) + ")", "≤ 0.4×", verdict(r.median() <= 0.4)})
	rs := ratios(s[2], s[1])
	b.add(row{"  beside it, start-up alone: `connectedapps --version` vs `secret-tool lookup`",
		ms(s[2].median()) + " (" + s[2].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(rs.median()) + " (" + rs.spread(x) + ")", "", ""})
	stop()

	// The vault: without the agent every `token` derives the argon2id key; the agent did once.
	venv, _ := b.env("agentvault")
	penv := append(append([]string{}, venv...), passphraseEnv+"=bench vault passphrase")
	if _, err := output(penv, b.o.bin, "keyring", "use-vault"); err != nil {
		return err
	}
	if _, err := b.connectedApp(penv, "Vault"); err != nil {
		return err
	}
	_, stop, err = b.startAgent(penv)
	if err != nil {
		return err
	}
	defer stop()
	if _, err := output(venv, b.o.bin, "token", "Vault"); err != nil { // no passphrase: only the agent can open the vault
		return fmt.Errorf("token without the passphrase did not come from the agent: %w", err)
	}
	vaultAgent := func() (float64, error) { return run(venv, nil, b.o.bin, "token", "Vault") }
	offEnv := append(append([]string{}, penv...), agent.DisableEnv+"=off")
	vaultAlone := func() (float64, error) { return run(offEnv, nil, b.o.bin, "token", "Vault") }
	if _, err := interleave(5, vaultAgent, st); err != nil {
		return err
	}
	s, err = interleave(b.o.tokenRounds/3, vaultAgent, st)
	if err != nil {
		return err
	}
	r = ratios(s[0], s[1])
	b.add(row{fmt.Sprintf("`token` (cached), encrypted vault, through `connectedapps agent` vs `secret-tool lookup`, %d pairs", b.o.tokenRounds/3),
		ms(s[0].median()) + " (" + s[0].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(r.median()) + " (" + r.spread(x) + ")", "≤ 0.5×", verdict(r.median() <= 0.5)})
	s, err = interleave(10, vaultAlone, st)
	if err != nil {
		return err
	}
	r = ratios(s[0], s[1])
	b.add(row{"  beside it, the vault without the agent (argon2id in every process), 10 pairs",
		ms(s[0].median()) + " (" + s[0].spread(ms) + ")", ms(s[1].median()) + " (" + s[1].spread(ms) + ")",
		x(r.median()) + " (" + r.spread(x) + ")", "", ""})
	return nil
}
