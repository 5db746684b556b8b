// Package fsutil is the file-system mechanics the registry, the vault, the settings and the
// window's single-instance claim share: files written whole or not at all (a 0600 temp file
// renamed over the old one), exclusive cross-process locks on lock files, and folders made
// private to their owner.
//
// It is separate from core so that these mechanics, which know nothing of apps, tokens or
// secrets, can be read, tested and reused (by internal/desktop's autostart entry and window
// lock) without the engine, and so that core's files hold only its own logic. It imports no
// package of this module: core, cli, gui and internal/desktop import it, never the reverse.
package fsutil
