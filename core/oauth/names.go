package oauth

import (
	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// The document's and the failures' names, as this package's code says them. They are
// core/app's and core/fail's very types and values (aliases), not copies: a parameter named
// app (the document at hand) would hide the package name in every function.
type (
	App              = app.App
	ProviderMetadata = app.ProviderMetadata
	QueryParameter   = app.QueryParameter
)

const (
	callbackPath        = app.CallbackPath
	hostIPv4            = app.HostIPv4
	hostIPv6            = app.HostIPv6
	hostLocalhost       = app.HostLocalhost
	tenantIDPlaceholder = app.TenantIDPlaceholder
	authMethodBasic     = app.AuthMethodBasic
	authMethodPost      = app.AuthMethodPost
	authMethodNone      = app.AuthMethodNone
)

var (
	cleanText        = app.CleanText
	checkEndpointURL = app.CheckEndpointURL
	isTenantID       = app.IsTenantID
	templateTenant   = app.TemplateTenant
	oneLine          = fail.OneLine
	failf            = fail.Failf

	errInvalid        = fail.ErrInvalid
	errNeedsReauth    = fail.ErrNeedsReauth
	errClientRejected = fail.ErrClientRejected
	errTransient      = fail.ErrTransient
	errPortInUse      = fail.ErrPortInUse
	errStateMismatch  = fail.ErrStateMismatch
	errMixUp          = fail.ErrMixUp
	errTimeout        = fail.ErrTimeout
	errCanceled       = fail.ErrCanceled
)
