// Package agent lets one long-lived process (the window, or `connectedapps agent` in an SSH
// session or a systemd user unit) hand tokens to the command line over a Unix socket, from
// memory: `token`, `exec` and `git-credential` ask it first, and a cached token then costs
// neither a keyring round trip nor, with the encrypted vault, an argon2id key derivation.
//
// The agent is an accelerator, never a second source of truth. The tokens stay in the secret
// store; the agent answers through core.Service (the same per-app cross-process refresh lock as
// every other process, so the window, the agent and plain CLI processes refresh a rotating
// token once between them), and keeps in memory only what it read or wrote there, dropped as
// soon as apps.json or settings.json changes (every connect, refresh, disconnect, edit and
// store switch by any process writes one of them). A client that gets no answer in time does
// the work itself, exactly as without an agent.
//
// The protocol is one JSON object per line: the client sends a request, the agent answers
// with heartbeat lines while the work goes on, then one final line. Both carry the protocol
// version; an answer of another version is treated as no answer.
package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"connectedapps/core"
)

// Version is the protocol spoken here. A change to the messages' meaning bumps it; a client
// and an agent of different versions then do not use each other (the client does the work).
//
// 2: a token request names the account (an agent of version 1 would ignore the name and
// answer with the default account's token).
const Version = 2

// FirstByteWait is how long a client waits for any line from the agent: the first answer, and
// each next one. An agent that is alive answers within it even while a refresh is under way,
// because it sends a heartbeat line every heartbeatEvery (a third of this); so a slow provider
// or another process holding the refresh lock keeps the client waiting (heartbeats come), while
// a hung agent (stopped, deadlocked, or a listener that accepts and never answers) costs the
// client this long once before it does the work itself. Nothing depends on the timing for
// correctness: a client that gives up and refreshes itself takes the same refresh lock, so it
// waits for the agent's refresh and then uses its token.
const FirstByteWait = 300 * time.Millisecond

// heartbeatEvery is how often the agent says "still working" while a request's work runs.
const heartbeatEvery = 100 * time.Millisecond

// MaxWait bounds how long a client follows heartbeats before it does the work itself: longer
// than core's own bounds on a refresh (the refresh lock's wait and the HTTP client's timeout),
// so only an agent stuck in a loop of heartbeats reaches it.
const MaxWait = 2 * time.Minute

// requestWait is how long the agent waits for a connected client's next request before it
// closes the connection (a client sends its request at once).
const requestWait = 10 * time.Second

// maxSocketPath is the shortest limit on a unix socket path among the platforms (macOS: 104
// bytes with the NUL; Linux 108). A longer path means no agent, not an error.
const maxSocketPath = 103

// DisableEnv set to "off" makes the command line never ask an agent (for a comparison, or to
// rule the agent out while looking into a problem).
const DisableEnv = "CONNECTEDAPPS_AGENT"

var (
	// ErrUnavailable says no agent answered usefully: none runs, its socket is stale, it hung,
	// it speaks another version, or it cannot open the secrets. The client then does the work.
	ErrUnavailable = errors.New("no agent answered")
	// ErrNoRuntimeDir says XDG_RUNTIME_DIR is unset (or too long a path for a socket): then
	// there is no agent, and the command line works alone.
	ErrNoRuntimeDir = errors.New("no XDG_RUNTIME_DIR for the agent's socket")
	// ErrAlreadyServed says another process already serves this registry.
	ErrAlreadyServed = errors.New("an agent already serves this registry")
)

// Paths are the socket and the lock file of the agent for the registry folder dir:
// $XDG_RUNTIME_DIR/connectedapps/agent-HASH.sock and .lock, HASH naming the registry folder so
// two registries (another XDG_CONFIG_HOME) each get their own agent.
func Paths(dir string) (sock, lock string, err error) {
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if rt == "" || !supported {
		return "", "", ErrNoRuntimeDir
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(abs))
	base := filepath.Join(rt, "connectedapps", "agent-"+hex.EncodeToString(sum[:6]))
	if len(base)+len(".sock") > maxSocketPath {
		return "", "", fmt.Errorf("%w: %s is too long a path for a socket", ErrNoRuntimeDir, base+".sock")
	}
	return base + ".sock", base + ".lock", nil
}

// request is one line from the client.
type request struct {
	V        int           `json:"v"`
	Op       string        `json:"op"` // "token", "app" or "status"
	Name     string        `json:"name,omitempty"`
	Account  string        `json:"account,omitempty"`   // email, subject or ID; "" the default
	MinValid time.Duration `json:"min_valid,omitempty"` // nanoseconds
}

// reply is one line from the agent: a heartbeat (Wait) or the answer.
type reply struct {
	V      int            `json:"v"`
	Wait   bool           `json:"wait,omitempty"`
	App    *core.App      `json:"app,omitempty"`
	Tokens *core.TokenSet `json:"tokens,omitempty"`
	Status *Status        `json:"status,omitempty"`
	Error  *wireError     `json:"error,omitempty"`
}

// wireError is a failure with its kinds, so the client's errors.Is (and so the command line's
// exit code) and its one-line message are the ones the work would have given in the client.
type wireError struct {
	Kinds   []string `json:"kinds,omitempty"`
	Message string   `json:"message"`
}

// Status is what `connectedapps agent --status` shows.
type Status struct {
	PID      int       `json:"pid"`
	Who      string    `json:"who"` // "the window" or "connectedapps agent"
	Registry string    `json:"registry"`
	Socket   string    `json:"socket"`
	Store    string    `json:"store"` // core.StoreSystem or core.StoreVault
	Since    time.Time `json:"since"`
	Served   int64     `json:"served"`  // answers given
	Refused  int64     `json:"refused"` // connections from another user refused
	Cached   int       `json:"cached"`  // accounts whose tokens are held in memory now
}

// kindAgent marks a failure of the agent itself (not of the work): the client does the work.
const kindAgent = "agent"

// kinds maps core's sentinel errors to their names on the wire.
var kinds = []struct {
	name string
	err  error
}{
	{"not_found", core.ErrNotFound},
	{"invalid", core.ErrInvalid},
	{"not_connected", core.ErrNotConnected},
	{"needs_reauth", core.ErrNeedsReauth},
	{"client_rejected", core.ErrClientRejected},
	{"transient", core.ErrTransient},
	{"keyring_unavailable", core.ErrKeyringUnavailable},
	{"port_in_use", core.ErrPortInUse},
	{"busy", core.ErrBusy},
	{"state_mismatch", core.ErrStateMismatch},
	{"mix_up", core.ErrMixUp},
	{"timeout", core.ErrTimeout},
	{"canceled", core.ErrCanceled},
	{"corrupt_registry", core.ErrCorruptRegistry},
	{"vault_locked", core.ErrVaultLocked},
	{"wrong_passphrase", core.ErrWrongPassphrase},
	{"context_canceled", context.Canceled},
	{"deadline_exceeded", context.DeadlineExceeded},
}

// fallbackKinds are failures of the agent's own access to the secrets, which the client may
// not share (it may hold the vault's passphrase in its environment): the client does the work
// itself, and says its own error if it fails too.
var fallbackKinds = map[string]bool{kindAgent: true, "vault_locked": true, "wrong_passphrase": true, "keyring_unavailable": true}

// agentError is a failure of the agent's own, not of the work asked for.
type agentError struct{ msg string }

func (e *agentError) Error() string { return e.msg }

func toWire(err error) *wireError {
	w := &wireError{Message: err.Error()}
	var ae *agentError
	if errors.As(err, &ae) {
		w.Kinds = []string{kindAgent}
		return w
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			w.Kinds = append(w.Kinds, k.name)
		}
	}
	return w
}

// RemoteError is a failure the agent met doing the work, with the same kinds and message.
type RemoteError struct {
	msg   string
	kinds []error
}

func (e *RemoteError) Error() string   { return e.msg }
func (e *RemoteError) Unwrap() []error { return e.kinds }

func fromWire(w *wireError) error {
	e := &RemoteError{msg: w.Message}
	for _, name := range w.Kinds {
		if fallbackKinds[name] {
			return fmt.Errorf("%w: the agent said: %s", ErrUnavailable, w.Message)
		}
		for _, k := range kinds {
			if k.name == name {
				e.kinds = append(e.kinds, k.err)
			}
		}
	}
	return e
}
