// Package core is the engine every front end calls: Service, the orchestration of the layers
// below it. A person's every action is a Service method (add, edit, remove, connect, token,
// refresh, disconnect, import, export, the switch of secret store), so the window and the
// command line run the same checks, make the same errors and write the same files. core
// prints nothing and imports no Fyne; it returns errors (one line, of a kind, with a typed
// remedy each front end words) and notices.
//
// Service decides what the layers do not: which key holds an app's client secret and tokens,
// which store is in use, the locks (one connect per app across processes; one refresh per
// app, re-reading the tokens under the lock, so a rotating refresh token is spent once), what
// a refused grant or client records on the connection, and the background refresher. Below it:
//
//	core/oauth     the protocol, stateless: (ctx, *http.Client, app, secret) in, the answer out
//	core/registry  apps.json and settings.json, locked and written atomically
//	core/secret    the secret stores: the OS keyring, the encrypted vault, memory
//	core/app       the document, its validation, the redirect URI, presets as data
//	core/fail      the kinds of failure and the one error type (message, kind, remedy, cause)
//
// core names their types and functions as its own (document.go, registry.go, protocol.go,
// errors.go: aliases of the very same types and values), so cli and gui import core alone.
// docs/ARCHITECTURE.md has the map, the dependency rule and the recipes.
package core
