// Package app is the Connected App document: App and its Connection, their validation
// (ValidationError names the JSON field that is wrong), the endpoint URL rule (https, or http on
// loopback only), the redirect URI and per-app callback path, CleanText for text a provider
// chose, and the provider presets as data (presets/*.json, embedded).
//
// It is the vocabulary every other layer speaks, so it stands alone: it imports no package of
// this module but core/fail (the kinds of failure). It holds no secret, reads no file but its
// own embedded presets, and makes no request; the registry stores documents, core/oauth
// speaks the protocol for them and core orchestrates both.
package app
