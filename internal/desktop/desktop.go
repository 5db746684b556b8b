// Package desktop is where the program meets the person's desktop session: it opens their
// browser (SystemBrowser, honouring $BROWSER), writes the autostart entry that opens the
// window at login (Autostart: an XDG entry, on Windows a Run value), keeps one window per
// registry (ClaimWindow: a lock held for the process's life and a unix socket where a second
// launch asks the first to show itself), keeps the variables that hold a secret out of every
// program it starts (TakeSecretEnv, WithoutSecretEnv), and lets go of a console Windows made
// for the window alone (LeaveOwnConsole).
//
// It is separate from core because none of this is the engine's logic: core decides what to
// open and when, through its Browser seam, and never starts a program or touches the session
// itself. desktop imports no package of this module but internal/fsutil; main, cli and gui
// use it, and core does not, so the engine stays testable without a desktop.
package desktop

// DesktopID is the app's freedesktop ID: FyneApp.toml's ID, the name of the .desktop entry
// `make package` installs, and of the autostart entry.
const DesktopID = "io.connectedapps.desktop"
