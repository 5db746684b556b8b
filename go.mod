module connectedapps

go 1.26.0

require (
	al.essio.dev/pkg/shellescape v1.5.1 // indirect
	fyne.io/fyne/v2 v2.7.1 // indirect
	github.com/coreos/go-oidc/v3 v3.21.0 // indirect
	github.com/danieljoos/wincred v1.2.2 // indirect
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	github.com/godbus/dbus/v5 v5.1.0 // indirect
	github.com/gofrs/flock v0.13.2 // indirect
	github.com/zalando/go-keyring v0.2.6 // indirect
	github.com/zitadel/oidc/v3 v3.52.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
