package core

import "connectedapps/core/registry"

// apps.json and settings.json are core/registry's; these are its very names, so cli and gui
// keep saying core.OpenRegistry and core.SettingsPath.
type Registry = registry.Registry

const (
	RegistryVersion  = registry.Version
	StoreSystem      = registry.StoreSystem
	StoreVault       = registry.StoreVault
	SettingsFileName = registry.SettingsFileName
)

var (
	OpenRegistry      = registry.Open
	DefaultConfigDir  = registry.DefaultConfigDir
	MakeFolderPrivate = registry.MakeFolderPrivate
	SettingsPath      = registry.SettingsPath
	ReadStoreChoice   = registry.ReadStoreChoice
	WriteStoreChoice  = registry.WriteStoreChoice

	// Used inside core only: the locks of connect, refresh and the store switch are the
	// registry's kind of lock, with its wait.
	lockFile = registry.Lock
	findApp  = registry.Index
)

const lockWait = registry.LockWait
