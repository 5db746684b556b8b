package core

import "connectedapps/core/app"

// The document is core/app's. These names are its very types, constants and functions, so
// core's own code and every front end keep saying core.App, core.NewApp and core.ErrX-style
// names while the document stands in a package of its own (which imports nothing of core).
type (
	App              = app.App
	Connection       = app.Connection
	Registration     = app.Registration
	Account          = app.Account
	QueryParameter   = app.QueryParameter
	ValidationError  = app.ValidationError
	Preset           = app.Preset
	PresetField      = app.PresetField
	ProviderMetadata = app.ProviderMetadata
	Field            = app.Field
	Section          = app.Section
	Kind             = app.Kind
	Grant            = app.Grant
	AuthMethod       = app.AuthMethod
	ConnectionState  = app.ConnectionState
	PublishingStatus = app.PublishingStatus
	RefreshLimit     = app.RefreshLimit
	LimitClock       = app.LimitClock
	RefreshHealth    = app.RefreshHealth
	HealthStage      = app.HealthStage
)

const (
	HostIPv4            = app.HostIPv4
	HostLocalhost       = app.HostLocalhost
	HostIPv6            = app.HostIPv6
	DefaultRedirectPort = app.DefaultRedirectPort
	CallbackPath        = app.CallbackPath
	AnonymousAccount    = app.AnonymousAccount

	AuthMethodAuto  = app.AuthMethodAuto
	AuthMethodBasic = app.AuthMethodBasic
	AuthMethodPost  = app.AuthMethodPost
	AuthMethodNone  = app.AuthMethodNone

	GrantAuthorizationCode = app.GrantAuthorizationCode
	GrantDeviceCode        = app.GrantDeviceCode
	GrantClientCredentials = app.GrantClientCredentials

	StateConnected      = app.StateConnected
	StateExpired        = app.StateExpired
	StateNeedsReauth    = app.StateNeedsReauth
	StateClientRejected = app.StateClientRejected
	StateNotConnected   = app.StateNotConnected

	FieldTenant = app.FieldTenant
	FieldRealm  = app.FieldRealm
	FieldSite   = app.FieldSite
	FieldDomain = app.FieldDomain

	TenantIDPlaceholder = app.TenantIDPlaceholder

	FieldProviderName        = app.FieldProviderName
	FieldOpenIDConfiguration = app.FieldOpenIDConfiguration
	FieldClientID            = app.FieldClientID
	FieldClientSecret        = app.FieldClientSecret
	FieldIssuer              = app.FieldIssuer
	FieldOnEvent             = app.FieldOnEvent
	FieldPublishingStatus    = app.FieldPublishingStatus

	PublishingUnknown    = app.PublishingUnknown
	PublishingTesting    = app.PublishingTesting
	PublishingProduction = app.PublishingProduction

	CountsFromIssue   = app.CountsFromIssue
	CountsFromLastUse = app.CountsFromLastUse

	HealthNone       = app.HealthNone
	HealthUnrecorded = app.HealthUnrecorded
	HealthFine       = app.HealthFine
	HealthSoon       = app.HealthSoon
	HealthPast       = app.HealthPast
	RefreshWarnAhead = app.RefreshWarnAhead

	KindEndpoint = app.KindEndpoint
	KindValue    = app.KindValue
	KindSecret   = app.KindSecret
	KindComputed = app.KindComputed

	SectionName      = app.SectionName
	SectionDiscovery = app.SectionDiscovery
	SectionClient    = app.SectionClient
	SectionScopes    = app.SectionScopes
	SectionParams    = app.SectionParams
	SectionEndpoints = app.SectionEndpoints
	SectionAdvanced  = app.SectionAdvanced
)

var (
	NewApp            = app.NewApp
	AccountIDFor      = app.AccountIDFor
	NewCallbackPath   = app.NewCallbackPath
	CallbackSlug      = app.CallbackSlug
	ValidateName      = app.ValidateName
	CheckEndpointURL  = app.CheckEndpointURL
	CheckGitHost      = app.CheckGitHost
	NormalizeGitHosts = app.NormalizeGitHosts
	SplitScopes       = app.SplitScopes
	SplitCommand      = app.SplitCommand
	Presets           = app.Presets
	PresetByID        = app.PresetByID
	CleanText         = app.CleanText
	Fields            = app.Fields
	Endpoints         = app.Endpoints
	FieldByJSON       = app.FieldByJSON

	// Used inside core only.
	newID             = app.NewID
	validCallbackPath = app.ValidCallbackPath
	isLoopbackHost    = app.IsLoopbackHost
)
