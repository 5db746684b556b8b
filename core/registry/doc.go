// Package registry is where the documents are kept: apps.json (every registration and its
// non-secret connection facts) and settings.json (which secret store is chosen), in one
// private folder shared by the window and any number of command-line processes.
//
// Every change is lock, re-read, apply, write: a cross-process lock (internal/fsutil), a fresh
// read of the file, the caller's change, then an atomic write (temp file, fsync, rename), so
// no process overwrites another's change and a crash never leaves half a file. A file that
// cannot be parsed, or that a newer version wrote, is reported as fail.ErrCorruptRegistry and
// never rewritten. Lock and LockPath are also the per-app locks core's connect and refresh take.
//
// It knows the document (core/app) and no protocol: it imports neither core/oauth nor
// core/secret nor core; core's Service is what puts registry, secrets and protocol together.
package registry
