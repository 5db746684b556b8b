package gui

import (
	"context"
	"encoding/json"
	"time"

	"fyne.io/fyne/v2"

	"connectedapps/core"
)

// appService is what the window asks of core: *core.Service in production, a fake in tests
// that need to script a sign-in's success or failure.
type appService interface {
	List() ([]core.App, error)
	Get(name string) (core.App, error)
	Add(app core.App, secret *string) (core.App, error)
	Edit(ctx context.Context, name string, change func(*core.App) error, secret core.SecretChange) (core.EditResult, error)
	Remove(ctx context.Context, name string, localOnly bool) error
	Discover(ctx context.Context, rawURL, expectedIssuer string) (*core.ProviderMetadata, error)
	Connect(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error)
	Token(ctx context.Context, name string, minValid time.Duration) (*core.TokenSet, error)
	Refresh(ctx context.Context, name string) (*core.TokenSet, error)
	Disconnect(ctx context.Context, name string, localOnly bool) (core.DisconnectResult, error)
	Userinfo(ctx context.Context, name string) (json.RawMessage, error)
	Introspect(ctx context.Context, name string) (json.RawMessage, error)
	ImportWith(ctx context.Context, data []byte, choices []core.ImportChoice) ([]core.ImportResult, error)
	Export(names ...string) ([]byte, error)
	RegistryPath() string
	Clock() time.Time
}

var _ appService = (*core.Service)(nil)

// Notifier shows a desktop notification. Production sends it through fyne.App (the
// freedesktop Notifications service on Linux); tests record what would have been shown.
type Notifier interface {
	Notify(title, body string)
}

type fyneNotifier struct{ app fyne.App }

func (n fyneNotifier) Notify(title, body string) {
	n.app.SendNotification(fyne.NewNotification(title, body))
}

// runAsync runs work that may block (registry, keyring, network) off the UI goroutine.
// Tests replace it with a direct call, because Fyne's test driver runs fyne.Do on the calling
// goroutine and a real background goroutine would race with the test's assertions.
var runAsync = func(f func()) { go f() }

// env is what every screen of the window shares.
type env struct {
	app      fyne.App
	svc      appService
	browser  core.Browser
	notifier Notifier
	vault    *vaultUnlock // the vault's passphrase dialog; nil unless the secrets are in a locked vault
}
