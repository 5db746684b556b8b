package core

import "connectedapps/core/oauth"

// The protocol is core/oauth's. These are its very types and functions, so cli and gui keep
// saying core.TokenSet, core.ProviderError and core.NewHTTPClient.
type (
	TokenSet             = oauth.TokenSet
	Identity             = oauth.Identity
	ProviderError        = oauth.ProviderError
	DeviceCode           = oauth.DeviceCode
	Catcher              = oauth.Catcher
	RedirectRefusedError = oauth.RedirectRefusedError
	LoggingTransport     = oauth.LoggingTransport
)

const (
	HTTPTimeout      = oauth.HTTPTimeout
	DiscoveryTimeout = oauth.DiscoveryTimeout
)

var (
	NewHTTPClient  = oauth.NewHTTPClient
	ListenLoopback = oauth.ListenLoopback
	Discover       = oauth.Discover
	DiscoveryURL   = oauth.DiscoveryURL
	RedactURL      = oauth.RedactURL
	RedactText     = oauth.RedactText
)
