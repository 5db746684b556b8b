// Package desktop is where the program meets the person's desktop session: it opens their
// browser (SystemBrowser, honouring $BROWSER), writes the XDG autostart entry that opens the
// window at login (Autostart), keeps one window per registry (ClaimWindow: a lock held for the
// process's life and a unix socket where a second launch asks the first to show itself), and
// keeps the variables that hold a secret out of every program it starts (TakeSecretEnv,
// WithoutSecretEnv).
//
// It is separate from core because none of this is the engine's logic: core decides what to
// open and when, through its Browser seam, and never starts a program or touches the session
// itself. desktop imports no package of this module but internal/fsutil; main, cli and gui
// use it, and core does not, so the engine stays testable without a desktop.
package desktop
